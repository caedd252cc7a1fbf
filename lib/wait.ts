/**
 * Waiting for text in a pane. A control-mode client wakes the wait as soon
 * as the pane gets output; the match is decided on the rendered pane text
 * (capture-pane, wrapped lines joined), line by line, as `grep -E` (POSIX
 * extended regex) or `grep -F` would. Polling is the fallback when control
 * mode can't attach. A wait can be anchored after a send, so only output
 * that appears below the cursor row of the moment of the send counts.
 *
 * @module
 */
import { type CaptureOptions, type PaneSnapshot, type PaneState, snapshotPane } from "./capture.ts";
import { ControlClient } from "./control.ts";
import { ServerNotRunningError, TmuxCommandError, TmuxTimeoutError, UsageError } from "./errors.ts";
import { sleep } from "./time.ts";
import type { Socket } from "./tmux.ts";

// ---------------------------------------------------------------------------
// Patterns

/**
 * Decides whether one line matches. A wait also passes the line's index and
 * all the lines it looked at (after a send: the output after it), so a
 * matcher can ask where the line is (for example: only the last line).
 */
export type LineMatcher = (line: string, index?: number, lines?: readonly string[]) => boolean;

/** `[[:space:]]` as glibc has it in UTF-8 locales (JS `\s` adds the no-break spaces and U+FEFF). */
const SPACE = "\\t\\n\\v\\f\\r \\u1680\\u2000-\\u2006\\u2008-\\u200a\\u2028\\u2029\\u205f\\u3000";
/** A word character for GNU's `\w`, `\b`, `\<` and `\>`: `[_[:alnum:]]`. */
const WORD = "[\\p{Alphabetic}\\p{Nd}_]";

/**
 * Bracket classes, close to glibc's in UTF-8 locales (exact for ASCII and
 * Latin-1, and for space, blank, digit, xdigit and cntrl everywhere; glibc's
 * Unicode tables are older than the engine's and file marks and other
 * numbers differently).
 */
const CLASSES: Record<string, string> = {
  alpha: "\\p{Alphabetic}",
  digit: "0-9",
  alnum: "\\p{Alphabetic}\\p{Nd}",
  upper: "\\p{Uppercase}\\p{Lt}",
  lower: "\\p{Lowercase}\\p{Lt}",
  space: SPACE,
  blank: "\\t \\u1680\\u2000-\\u2006\\u2008-\\u200a\\u205f\\u3000",
  punct: "\\p{P}\\p{S}",
  print: "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}",
  graph: "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}",
  cntrl: "\\p{Cc}\\u2028\\u2029",
  xdigit: "0-9A-Fa-f",
};

/**
 * GNU's backslash escapes in an extended regex, as JS sources. Any other
 * escaped character means itself: `\d` is `d` and `\t` is `t` (not a digit
 * class and a tab as in JS), `\.` is a dot.
 */
const ESCAPES: Record<string, { source: string; atom: boolean }> = {
  w: { source: WORD, atom: true },
  W: { source: `[^${WORD.slice(1, -1)}]`, atom: true },
  s: { source: `[${SPACE}]`, atom: true },
  S: { source: `[^${SPACE}]`, atom: true },
  b: { source: `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`, atom: false },
  B: { source: `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`, atom: false },
  "<": { source: `(?<!${WORD})(?=${WORD})`, atom: false },
  ">": { source: `(?<=${WORD})(?!${WORD})`, atom: false },
  "`": { source: "^", atom: false },
  "'": { source: "$", atom: false },
};

/** A character as a JS regex literal that means itself in and out of brackets. */
function literal(char: string): string {
  return /^[A-Za-z0-9 ]$/.test(char) ? char : `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/**
 * Translates a POSIX extended regular expression (as `grep -E` reads it) to
 * the source of an equivalent JS regex for the `u` flag: bracket expressions
 * with classes like `[[:digit:]]` (backslash is literal inside brackets),
 * intervals `{n,m}` (a `{` that starts no interval is literal), quantifiers
 * at the start of an expression as literals, an unmatched `)` as a literal,
 * GNU's `\w`, `\W`, `\s`, `\S`, `\b`, `\B`, `\<`, `\>` and back-references;
 * any other escaped character is itself (`\d` is `d`, `\t` is `t`), as in
 * `grep -E`. Word characters are letters, digits and `_` in any script.
 *
 * @example
 * ```ts
 * import { ereToJs } from "./wait.ts";
 * new RegExp(ereToJs("^[[:digit:]]+ files?$"), "u").test("12 files"); // true
 * ```
 * @throws {SyntaxError} an unterminated bracket, a bad class name, a bad range, a trailing `\`.
 */
export function ereToJs(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  const groups: number[] = [];
  let atomStart = -1; // index in `out` where the last atom begins; -1: no atom to repeat
  let lastWasQuantifier = false;
  const quantify = (token: string) => {
    if (atomStart === -1) {
      // GNU reads a quantifier with nothing to repeat as a literal.
      for (const c of token) out.push(literal(c));
      atomStart = out.length - 1;
      lastWasQuantifier = false;
      return;
    }
    if (lastWasQuantifier) {
      // `a**`, `a+*`: repeat the repeated atom (JS rejects a bare double quantifier).
      out.splice(atomStart, 0, "(?:");
      out.push(")");
    }
    out.push(token);
    lastWasQuantifier = true;
  };
  const atom = (source: string) => {
    atomStart = out.length;
    out.push(source);
    lastWasQuantifier = false;
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    switch (c) {
      case "\\": {
        const next = chars[++i];
        if (next === undefined) throw new SyntaxError("Trailing backslash");
        const escape = Object.hasOwn(ESCAPES, next) ? ESCAPES[next] : undefined;
        if (/^[1-9]$/.test(next)) atom(`\\${next}`);
        else if (escape?.atom) atom(escape.source);
        else if (escape) {
          // An anchor: nothing to repeat after it.
          out.push(escape.source);
          atomStart = -1;
          lastWasQuantifier = false;
        } else atom(literal(next));
        break;
      }
      case "[": {
        const [source, end] = bracket(chars, i);
        atom(source);
        i = end;
        break;
      }
      case "(":
        groups.push(out.length);
        out.push("(");
        atomStart = -1;
        lastWasQuantifier = false;
        break;
      case ")":
        if (groups.length === 0) {
          atom(literal(")")); // POSIX: `)` is special only after a `(`
        } else {
          out.push(")");
          atomStart = groups.pop()!;
          lastWasQuantifier = false;
        }
        break;
      case "|":
      case "^":
      case "$":
        out.push(c);
        atomStart = -1;
        lastWasQuantifier = false;
        break;
      case "*":
      case "+":
      case "?":
        quantify(c);
        break;
      case "{": {
        const rest = chars.slice(i).join("");
        const interval = /^\{(\d*)(,(\d*))?\}/.exec(rest);
        if (interval && atomStart !== -1 && (interval[1] !== "" || interval[3])) {
          const min = interval[1] === "" ? "0" : interval[1];
          quantify(`{${min}${interval[2] === undefined ? "" : `,${interval[3]}`}}`);
          i += Array.from(interval[0]).length - 1;
        } else {
          atom(literal("{"));
        }
        break;
      }
      case ".":
        atom("[^\\n]"); // any character: JS's `.` leaves out \r, U+2028 and U+2029
        break;
      default:
        atom(literal(c));
    }
  }
  return out.join("");
}

/** Parses the bracket expression at `chars[start]` (`[`); returns its JS source and end index. */
function bracket(chars: string[], start: number): [string, number] {
  let i = start + 1;
  let negate = false;
  if (chars[i] === "^") {
    negate = true;
    i++;
  }
  const items: string[] = [];
  let first = true;
  // One bracket element: a literal character (or collating symbol) or a class.
  const element = (): { char?: string; source: string } => {
    const c = chars[i];
    if (c === "[" && (chars[i + 1] === ":" || chars[i + 1] === "=" || chars[i + 1] === ".")) {
      const kind = chars[i + 1];
      let j = i + 2;
      while (j + 1 < chars.length && !(chars[j] === kind && chars[j + 1] === "]")) j++;
      if (j + 1 >= chars.length) throw new SyntaxError("Unmatched [, [^, [:, [., or [=");
      const name = chars.slice(i + 2, j).join("");
      i = j + 2;
      if (kind === ":") {
        const cls = CLASSES[name];
        if (cls === undefined) throw new SyntaxError(`Invalid character class name: ${name}`);
        return { source: cls };
      }
      if (Array.from(name).length !== 1) {
        throw new SyntaxError(`Invalid collation character: ${name}`);
      }
      return { char: name, source: literal(name) };
    }
    i++;
    return { char: c, source: literal(c) };
  };
  for (;;) {
    if (i >= chars.length) throw new SyntaxError("Unmatched [, [^, [:, [., or [=");
    if (chars[i] === "]" && !first) break;
    first = false;
    const from = element();
    if (
      from.char !== undefined && chars[i] === "-" && i + 1 < chars.length && chars[i + 1] !== "]"
    ) {
      i++;
      const to = element();
      if (to.char === undefined) throw new SyntaxError("Invalid range end");
      if (from.char.codePointAt(0)! > to.char.codePointAt(0)!) {
        throw new SyntaxError("Invalid range end");
      }
      items.push(`${from.source}-${to.source}`);
    } else {
      items.push(from.source);
    }
  }
  return [`[${negate ? "^" : ""}${items.join("")}]`, i];
}

/** Options of {@link compilePattern}. */
export interface PatternOptions {
  /** A fixed string (`grep -F`) instead of an extended regex. */
  fixed?: boolean;
}

/**
 * Compiles a pattern to a line matcher, as `grep -E` (or `grep -F`) reads
 * it. As with grep, a pattern with newlines is several patterns, any of
 * which may match.
 *
 * @example
 * ```ts
 * import { compilePattern } from "./wait.ts";
 * const matches = compilePattern("[[:digit:]]+ passed");
 * matches("12 passed"); // true
 * ```
 * @throws {UsageError} the pattern is not a valid extended regex.
 */
export function compilePattern(pattern: string, options: PatternOptions = {}): LineMatcher {
  const parts = pattern.split("\n");
  if (options.fixed) return (line) => parts.some((part) => line.includes(part));
  const regexes = parts.map((part) => {
    try {
      return new RegExp(ereToJs(part), "u");
    } catch (error) {
      const reason = error instanceof Error
        ? error.message.replace(/^Invalid regular expression: \/.*\/\w*: /, "")
        : String(error);
      throw new UsageError(`Error: Invalid regex pattern: ${pattern} (${reason})`);
    }
  });
  return (line) => regexes.some((regex) => regex.test(line));
}

// ---------------------------------------------------------------------------
// Anchors

/** Where the cursor was at the moment of a send, in absolute history terms. */
export interface Anchor {
  /** Lines of history above the screen then. */
  historySize: number;
  /** The cursor's screen row then. */
  cursorY: number;
}

/** An anchored wait: only output below the anchor row counts. */
export interface AfterSend {
  /** The pane position taken just before the send. */
  anchor: Anchor;
  /** The text that was sent: the echo of its lines is not output. */
  sent?: string;
}

/**
 * The output lines after a send, from a joined capture that starts at the
 * anchor row: the first logical line (the prompt row with the echo of the
 * typed text, however it wrapped) is dropped; when the sent text had several
 * lines (a pasted block), so are lines that end with one of its further
 * lines (their echo, which a REPL may show twice: the terminal's echo of
 * typed-ahead text, then the prompt's); then trailing empty lines. When the
 * echo filled its last row exactly, the terminal continues that row with the
 * first output row, and the join glues them: what follows the typed text in
 * the first line is then kept as the first output line.
 */
export function outputAfterSend(captured: readonly string[], sent = ""): string[] {
  const [firstTyped, ...further] = sent.split("\n").map((line) => line.trimEnd());
  const echo = further.filter((l) => l !== "");
  const lines = captured.slice(1).filter((line) => {
    const text = line.trimEnd();
    return !echo.some((typed) => text.endsWith(typed));
  });
  const first = captured[0] ?? "";
  const at = firstTyped === "" ? -1 : first.lastIndexOf(firstTyped);
  const glued = at === -1 ? "" : first.slice(at + firstTyped.length);
  if (glued.trimEnd() !== "") lines.unshift(glued);
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * Finds the anchor row in each capture. The anchor is absolute (history
 * size + cursor row), so scrolling does not move it. When the history
 * shrinks (clear-history, a clear with `\e[3J`, trimming at history-limit),
 * rows can no longer be counted; the anchor is then found by content: the
 * last line that shows the typed text (its first line) is the typed line,
 * and if no line shows it, the screen was cleared after the send and all of
 * the pane's text is new.
 */
class AnchoredView {
  #row: number;
  #historySize: number;
  #guess: number;
  #typed: string;
  #byEcho = false;

  constructor(after: AfterSend, private readonly onLost: () => void) {
    this.#row = after.anchor.historySize + after.anchor.cursorY;
    this.#historySize = after.anchor.historySize;
    this.#guess = after.anchor.historySize;
    this.#typed = (after.sent ?? "").split("\n")[0].trimEnd();
  }

  /** What to capture: from the anchor row for the current guess of the history size. */
  capture(): CaptureOptions {
    return this.#byEcho
      ? { history: "all", join: true }
      : { start: this.#row - this.#guess, join: true };
  }

  /**
   * The captured lines from the typed line on, or `null` when the capture
   * must be redone (the history moved between guessing and capturing).
   */
  fromAnchor(snap: PaneSnapshot, lastTry: boolean): string[] | null {
    if (this.#byEcho) {
      const at = snap.lines.findLastIndex((line) => line.trimEnd().endsWith(this.#typed));
      return at === -1 ? ["", ...snap.lines] : snap.lines.slice(at);
    }
    const historySize = snap.state.historySize;
    if (historySize < this.#historySize) {
      this.onLost();
      if (this.#typed !== "") {
        this.#byEcho = true;
        return null;
      }
      // Nothing to look for: take the vanished lines as the oldest ones,
      // which can put the anchor late, never early.
      this.#row = Math.max(0, this.#row - (this.#historySize - historySize));
      this.#historySize = historySize;
    }
    const fits = historySize === this.#guess;
    this.#guess = historySize;
    return fits || lastTry ? snap.lines : null;
  }
}

// ---------------------------------------------------------------------------
// Waiting

/** How a wait ended. */
export type WaitOutcome =
  | { kind: "matched"; line: string }
  | { kind: "timed_out"; lastText: string }
  | { kind: "pane_gone"; reason: string }
  | { kind: "cancelled" };

/** Options of {@link waitForText}. */
export interface WaitOptions {
  /** The server. */
  socket?: Socket;
  /** The pane, best as its id `%N` (an exact target). */
  pane: string;
  /** Decides matches line by line (see {@link compilePattern}). */
  matcher: LineMatcher;
  /** Give up after this many milliseconds (exact). */
  timeoutMs: number;
  /** Poll interval when control mode is unavailable (default 500). */
  intervalMs?: number;
  /** Lines of history above the screen to search (default 1000); not used with `after`. */
  history?: number;
  /** Match only output that appeared after a send. */
  after?: AfterSend;
  /** Cancels the wait (outcome `cancelled`). */
  signal?: AbortSignal;
  /** Wake on control-mode notifications (default true); false polls. */
  events?: boolean;
  /** The pane's name in messages (default `pane`). */
  label?: string;
  /** Progress messages for people (how the wait runs). */
  onProgress?: (message: string) => void;
}

/** The first check of a wait runs even with a zero timeout, bounded by this. */
const FIRST_CHECK_MIN_MS = 1000;
/** In control mode the pane is also looked at this often: tmux does not notify every death. */
const HEARTBEAT_MS = 1000;
/** Bursts of output are coalesced: at most one look per this many milliseconds. */
const MIN_GAP_MS = 20;
/** Polling never spins faster than this. */
const MIN_INTERVAL_MS = 10;
/** Re-captures when the history moved between guessing the start row and capturing. */
const ANCHOR_RETRIES = 3;

type Look = { lines: string[]; state: PaneState } | WaitOutcome;

/**
 * Waits until a line of the pane matches, the time is up, the pane goes
 * away, or the signal aborts. Never throws for those; it throws only for
 * unexpected tmux failures.
 *
 * @example
 * ```ts ignore
 * const outcome = await waitForText({
 *   socket: { path: sock },
 *   pane: "%3",
 *   matcher: compilePattern(">>>"),
 *   timeoutMs: 15_000,
 * });
 * if (outcome.kind === "matched") console.log(outcome.line);
 * ```
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function waitForText(options: WaitOptions): Promise<WaitOutcome> {
  const { socket, pane, signal } = options;
  const label = options.label ?? `pane ${pane}`;
  const progress = options.onProgress ?? (() => {});
  const deadline = performance.now() + Math.max(0, options.timeoutMs);
  const remaining = () => deadline - performance.now();
  const view = options.after
    ? new AnchoredView(
      options.after,
      () => progress("History shrank since the send; finding the typed line by its text"),
    )
    : undefined;
  let lastText = "";
  let client: ControlClient | null = null;
  let session = "";
  let events = options.events ?? true;
  let lastLookAt = -Infinity;
  let first = true;

  const look = async (boundMs: number): Promise<Look> => {
    try {
      for (let attempt = 0;; attempt++) {
        const capture: CaptureOptions = view?.capture() ??
          { history: options.history ?? 1000, join: true, trimTrailingBlank: true };
        const snap: PaneSnapshot = await snapshotPane(socket, pane, capture, {
          timeoutMs: attempt === 0 ? boundMs : Math.max(1, remaining()),
          signal,
        });
        if (!view) return snap;
        const lines = view.fromAnchor(snap, attempt >= ANCHOR_RETRIES);
        if (lines) return { lines: outputAfterSend(lines, options.after?.sent), state: snap.state };
      }
    } catch (error) {
      if (signal?.aborted) return { kind: "cancelled" };
      if (error instanceof TmuxTimeoutError) return { kind: "timed_out", lastText };
      if (error instanceof ServerNotRunningError) {
        return { kind: "pane_gone", reason: "the tmux server is no longer running" };
      }
      if (error instanceof TmuxCommandError && /can't find|no such/i.test(error.stderr)) {
        return { kind: "pane_gone", reason: `${label} no longer exists` };
      }
      throw error;
    }
  };

  try {
    for (;;) {
      if (signal?.aborted) return { kind: "cancelled" };
      const bound = first ? Math.max(remaining(), FIRST_CHECK_MIN_MS) : remaining();
      if (bound <= 0) return { kind: "timed_out", lastText };
      first = false;
      const seen = client?.seq ?? 0;
      lastLookAt = performance.now();
      const result = await look(bound);
      if ("kind" in result) return result;
      lastText = result.lines.join("\n");
      const line = result.lines.find((text, index, all) => options.matcher(text, index, all));
      if (line !== undefined) return { kind: "matched", line };
      if (result.state.dead) return { kind: "pane_gone", reason: `${label} is dead` };
      if (remaining() <= 0) return { kind: "timed_out", lastText };

      if (events && client === null) {
        session = result.state.session;
        client = await ControlClient.attach(socket, session, {
          // Output is reported by pane id; any other target wakes on the whole session.
          pane: /^%\d+$/.test(pane) ? pane : undefined,
          timeoutMs: Math.min(remaining(), 2000),
          signal,
        });
        if (client === null) {
          if (signal?.aborted) return { kind: "cancelled" };
          events = false;
          progress(`Control mode unavailable; polling every ${pollMs(options) / 1000}s`);
        } else {
          progress("Waiting on control-mode notifications");
          // Output may have come before the client was attached: look again.
          continue;
        }
      } else if (client !== null && result.state.session !== session) {
        // Notifications only cover the attached session.
        progress("Pane moved to another session; polling");
        await client.close();
        client = null;
        events = false;
      }

      if (client !== null) {
        const wake = await client.changed(seen, Math.min(remaining(), HEARTBEAT_MS), signal);
        if (wake === "aborted") return { kind: "cancelled" };
        if (wake === "closed") {
          // The session or server may be gone; the next look tells. If not, poll.
          await client.close();
          client = null;
          events = false;
        } else if (wake === "changed") {
          const gap = MIN_GAP_MS - (performance.now() - lastLookAt);
          if (gap > 0 && !(await sleep(Math.min(gap, remaining()), signal))) {
            return { kind: "cancelled" };
          }
        }
      } else if (!(await sleep(Math.min(pollMs(options), remaining()), signal))) {
        return { kind: "cancelled" };
      }
    }
  } finally {
    await client?.close();
  }
}

function pollMs(options: WaitOptions): number {
  return Math.max(MIN_INTERVAL_MS, options.intervalMs ?? 500);
}
