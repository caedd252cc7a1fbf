/**
 * Waiting for a line of text in a pane: a probe over {@link waitUntil} that
 * matches the rendered pane text (wrapped lines joined) line by line, either
 * in the last lines of the pane or only in the output that appeared after a
 * send or after the wait began (see `anchor.ts`), with an optional failure
 * pattern that ends the wait early and an optional wait for quiet.
 *
 * Full-screen programs (less, vim, top, htop) draw on the alternate screen
 * and keep the cursor on its last row, so no output ever appears "below"
 * the anchor: while the alternate screen is on, a wait for output after a
 * send matches the whole screen instead, once the pane has printed since
 * the send (the row showing the typed text, such as less's `/pattern`
 * prompt, is left out).
 *
 * @module
 */
import { type AfterSend, AnchoredView, gluedOutput, notEcho, outputAfterSend } from "./anchor.ts";
import type { CaptureOptions } from "./capture.ts";
import { UsageError } from "./errors.ts";
import type { LineMatcher } from "./lines.ts";
import type { Pane, PaneSnapshot } from "./pane.ts";
import { TerminalLines } from "./render.ts";
import { type LogStart, PaneTap } from "./tap.ts";
import { type Probe, type UntilOptions, type Verdict, waitUntil } from "./until.ts";
import { pauseSync } from "./time.ts";

/**
 * How a wait for text ended: a line matched the pattern, a line matched the
 * failure pattern first, the pane went quiet (a wait for quiet alone), the
 * budget ran out, or the pane went away.
 */
export type WaitOutcome =
  | { kind: "matched"; line: string }
  | { kind: "failed"; line: string }
  | { kind: "quiet" }
  | { kind: "timed_out"; lastText: string }
  | { kind: "pane_gone"; reason: string };

/** Options of {@link waitForText}. */
export interface WaitOptions extends UntilOptions {
  /**
   * Decides matches line by line (see `compilePattern`). Without it the wait
   * is for quiet alone: `idleMs` is then required.
   */
  matcher?: LineMatcher;
  /** A line matching this (before any line matching `matcher`) ends the wait at once: `failed`. */
  fail?: LineMatcher;
  /** Lines of history above the screen to search (default 1000); not used with `after`. */
  history?: number;
  /**
   * Match only output that appeared after the anchor: after a send (`sent`,
   * whose echo is left out), or after the wait began (no `sent`).
   */
  after?: AfterSend;
  /**
   * With `after`: the tap opened at the anchor; output is read from it (every
   * line, whatever the pane's history keeps) instead of from the grid.
   */
  tap?: PaneTap;
  /**
   * Called once as the wait ends (however it ends) with the lines it was
   * looking at: the output after the anchor (everything the tap has by
   * then), the whole screen of a full-screen program, or the pane's last
   * lines.
   */
  collect?: (lines: string[]) => void;
}

/** What ends a wait for text (before `idleMs`, if any). */
type Found = { kind: "matched" | "failed"; line: string } | { kind: "quiet" };

/**
 * Waits until a line of the pane matches (and, with `idleMs`, the pane has
 * then been quiet that long), a line matches `fail` first, the budget
 * `waitMs` is spent, or the pane goes away. Never throws for those.
 *
 * @throws {UsageError} neither `matcher` nor `idleMs`.
 * @throws the signal's reason when `signal` aborts.
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function waitForText(pane: Pane, options: WaitOptions): Promise<WaitOutcome> {
  checkWanted(options);
  const view = options.after
    ? options.tap
      ? new StreamAfter(options.tap, options.after)
      : new GridAfter(options.after, options.onProgress)
    : new RecentLines(options.history ?? 1000);
  const probe = new LineWait(view, options);
  const outcome = await waitUntil(pane, probe, options);
  if (outcome.kind === "timed_out" && view instanceof RecentLines) {
    await view.complete(pane, options.signal);
  }
  options.collect?.(probe.output());
  switch (outcome.kind) {
    case "done":
      return outcome.value;
    case "timed_out":
      return { kind: "timed_out", lastText: probe.lastText };
    case "pane_gone":
      return outcome;
  }
}

/** Options of {@link waitForNewText}. */
export interface NewTextOptions extends Omit<WaitOptions, "after" | "tap" | "history"> {
  /**
   * The toolkit's socket folder: the pane's output is tapped into its
   * private space from the start of the wait, so every new line is seen
   * whatever the pane's history keeps (else the grid below the cursor's row
   * is read).
   */
  socketDir?: string;
  /**
   * With `socketDir`: start the pane's persistent output log when it has none
   * (and no other pipe), as create-session does, so this and later reads use
   * it instead of opening and closing a pipe of their own: `true`, or a test
   * of the pane asked only then. The tools ask it for registered sessions'
   * panes (`Context.registered`), whose output folder kill-session and
   * cleanup-sessions remove.
   */
  startLog?: LogStart;
}

/**
 * Waits like {@link waitForText}, but only output that appears after the
 * wait begins counts (the anchor of `safe-send -w`, taken without a send):
 * text already on screen, such as a typed command line, never matches.
 *
 * @throws {UsageError} neither `matcher` nor `idleMs`.
 * @throws {TmuxCommandError} the pane is gone when the wait begins.
 * @throws the signal's reason when `signal` aborts.
 */
export async function waitForNewText(pane: Pane, options: NewTextOptions): Promise<WaitOutcome> {
  checkWanted(options);
  await using tap = options.socketDir === undefined
    ? null
    : await PaneTap.open(pane, options.socketDir, { startLog: options.startLog });
  const anchor = await pane.anchor({ before: tap?.startArgs(), signal: options.signal });
  return await waitForText(pane, {
    ...options,
    after: { anchor },
    tap: tap ?? undefined,
    // The wait's control client closes the pipe as it leaves: no tmux call of its own.
    onEnd: (send) => tap?.closeVia(send),
  });
}

/** A wait needs something to wait for: a pattern, or quiet. */
function checkWanted(options: Pick<WaitOptions, "matcher" | "idleMs">): void {
  if (options.matcher === undefined && options.idleMs === undefined) {
    throw new UsageError("a pattern or an idle time is required");
  }
}

/** The lines a wait looks at in each snapshot. */
interface LineView {
  /** What to capture for the next look (`null`: the state is enough). */
  capture(): CaptureOptions | null;
  /**
   * The lines to check now (only new ones where the view can tell), and
   * whether more may be on its way; `"recapture"` when the capture must be
   * redone.
   */
  lines(snapshot: PaneSnapshot, lastTry: boolean): { lines: string[]; more: boolean } | "recapture";
  /**
   * The lines to check now, read without a look at the pane (a tap's view,
   * or the output heard): a tap's next {@link LineView.lines} returns them
   * again, with the look's.
   */
  early?(): string[];
  /** The pane's output as control mode reports it (see `Probe.heard`). */
  heard?(text: string, since: number): void;
  /** Whether the pane has printed since the anchor (for the full screen); updates the view. */
  printed(snapshot: PaneSnapshot): boolean;
  /** The text looked at last (a timed-out wait reports it). */
  readonly lastText: string;
  /** Every line the view holds now (after reading what is left to read). */
  output(): string[];
  /** The text sent at the anchor, if any: its echo is not output. */
  readonly sent?: string;
}

/** The whole visible screen (for full-screen programs). */
const SCREEN: CaptureOptions = { join: true, trimTrailingBlank: true };

/** The probe of {@link waitForText}: a view, the patterns, and full-screen handling. */
class LineWait implements Probe<Found> {
  #screen = false;
  #screenText = "";
  readonly #view: LineView;
  readonly #matcher?: LineMatcher;
  readonly #fail?: LineMatcher;
  readonly #fullScreen: boolean;

  constructor(view: LineView, options: WaitOptions) {
    this.#view = view;
    this.#matcher = options.matcher;
    this.#fail = options.fail;
    this.#fullScreen = options.after !== undefined;
  }

  get lastText(): string {
    return this.#screen ? this.#screenText : this.#view.lastText;
  }

  /** The lines the wait was looking at: the screen (full-screen programs) or the view's. */
  output(): string[] {
    const lines = this.#view.output();
    return this.#screen ? this.#screenText.split("\n") : lines;
  }

  capture(): CaptureOptions | null {
    return this.#screen ? SCREEN : this.#view.capture();
  }

  early(): Verdict<Found> {
    // The full screen is read from a capture, never from the tap.
    if (this.#screen || this.#view.early === undefined) return undefined;
    return this.#check(this.#view.early());
  }

  heard(text: string, since: number): void {
    this.#view.heard?.(text, since);
  }

  test(snapshot: PaneSnapshot, lastTry: boolean): Verdict<Found> {
    if (this.#fullScreen && snapshot.state.alternateOn !== this.#screen) {
      // The program entered or left the alternate screen: capture what now counts.
      this.#screen = snapshot.state.alternateOn;
      return lastTry ? "soon" : "recapture";
    }
    let lines: string[];
    let more = false;
    if (this.#screen) {
      this.#screenText = snapshot.lines.join("\n");
      const typed = (this.#view.sent ?? "").split("\n")[0].trimEnd();
      lines = !this.#view.printed(snapshot)
        ? []
        : typed === ""
        ? snapshot.lines
        : snapshot.lines.filter((line) => !line.trimEnd().endsWith(typed));
    } else {
      const seen = this.#view.lines(snapshot, lastTry);
      if (seen === "recapture") return seen;
      ({ lines, more } = seen);
    }
    return this.#check(lines) ??
      (this.#matcher === undefined ? { done: { kind: "quiet" } } : more ? "soon" : undefined);
  }

  /** The first failure or match among `lines`. */
  #check(lines: readonly string[]): { done: Found; now?: boolean } | undefined {
    for (const line of lines) {
      if (this.#fail?.(line)) return { done: { kind: "failed", line }, now: true };
      if (this.#matcher?.(line)) return { done: { kind: "matched", line } };
    }
    return undefined;
  }
}

/**
 * The last `history` lines of history and the screen. The first look reads
 * them all; a later one reads the screen and the last {@link RECENT_WINDOW}
 * rows of history, which is enough when fewer rows scrolled into the
 * history since the look before (history lines do not change, and those
 * were looked at then); when more did, or the history is full (its size no
 * longer tells), the look is redone whole.
 */
class RecentLines implements LineView {
  lastText = "";
  /** The history size at the last look, once one covered everything new. */
  #historySize?: number;
  #window = false;
  constructor(private readonly history: number) {}

  capture(): CaptureOptions {
    this.#window = this.#historySize !== undefined && this.history > RECENT_WINDOW;
    const history = this.#window ? RECENT_WINDOW : this.history;
    return { history, join: true, trimTrailingBlank: true };
  }

  lines({ lines, state }: PaneSnapshot, lastTry: boolean) {
    if (this.#window && !lastTry) {
      const scrolled = state.historySize - this.#historySize!;
      const full = state.historySize >= state.historyLimit;
      if (scrolled < 0 || scrolled >= RECENT_WINDOW || full) {
        this.#historySize = undefined;
        return "recapture" as const;
      }
    }
    this.#historySize = state.historySize;
    this.#alternate = state.alternateOn;
    this.#look = { at: performance.now(), column: state.cursorX };
    this.lastText = lines.join("\n");
    // A window that starts inside the history may start with the tail of a wrapped line (-J
    // joins only what it reads): that line is older than anything new, and was looked at whole.
    const cut = this.#window && !lastTry && state.historySize > RECENT_WINDOW;
    return { lines: cut ? lines.slice(1) : lines, more: false };
  }

  /**
   * The pane's output since the wait's client attached, rendered: a line
   * printed whole there (not the first, which began mid-line) is a line of
   * the pane, so a match among them ends the wait with no look (the looks
   * still check the pane itself: output control mode left out, a screen
   * drawn in place). Kept to the line in progress once checked.
   */
  #heard?: TerminalLines;
  /**
   * Heard lines checked already. The first heard line is not, unless it
   * began at the start of a line: a look after the wait began to listen,
   * and {@link HEARD_AFTER_MS} before the first output heard, found the
   * cursor in the first column (output tmux handled before that look would
   * have reached this process by then).
   */
  #heardChecked = 1;
  /** When the last look was read, and the cursor's column it found. */
  #look?: { at: number; column: number };
  /** The alternate screen was on at the last look (a full-screen program's drawing is no line). */
  #alternate = false;

  heard(text: string, since: number): void {
    if (this.#heard === undefined) {
      const look = this.#look;
      const lineStart = look !== undefined && look.at > since && look.column === 0 &&
        performance.now() - look.at >= HEARD_AFTER_MS;
      this.#heardChecked = lineStart ? 0 : 1;
      this.#heard = new TerminalLines(undefined, { alternate: this.#alternate });
    }
    this.#heard.writeText(text);
  }

  early(): string[] {
    const stream = this.#heard;
    if (stream === undefined) return [];
    const count = stream.lineCount;
    const partial = stream.partial;
    const lines = stream.lines(Math.min(this.#heardChecked, count), count);
    // The line in progress counts once a line break came before it.
    if (partial !== "" && count >= this.#heardChecked) lines.push(partial);
    if (count >= this.#heardChecked) {
      // Start afresh from the line in progress (a whole line now), so nothing piles up.
      this.#heard = new TerminalLines(undefined, { alternate: stream.alternate });
      this.#heard.writeText(partial);
      this.#heardChecked = 0;
    }
    return lines;
  }

  /** After a look that read a window: every line again, for a timed-out wait's report. */
  async complete(pane: Pane, signal?: AbortSignal): Promise<void> {
    if (!this.#window) return;
    try {
      this.#window = false;
      const { lines } = await pane.snapshot(
        { history: this.history, join: true, trimTrailingBlank: true },
        { signal },
      );
      this.lastText = lines.join("\n");
    } catch {
      // The pane went away: report the window read last.
    }
  }

  printed(): boolean {
    return true;
  }

  output(): string[] {
    return this.lastText === "" ? [] : this.lastText.split("\n");
  }
}

/** The output lines after the anchor, read from the pane's grid. */
class GridAfter implements LineView {
  lastText = "";
  readonly sent?: string;
  readonly #view: AnchoredView;
  #firstScreen?: string;
  #lines: string[] = [];

  constructor(private readonly after: AfterSend, onProgress?: (message: string) => void) {
    this.sent = after.sent;
    this.#view = new AnchoredView(
      after,
      () => onProgress?.("History shrank since the send; finding the typed line by its text"),
    );
  }

  capture(): CaptureOptions {
    return this.#view.capture();
  }

  lines(snapshot: PaneSnapshot, lastTry: boolean) {
    const rows = this.#view.fromAnchor(snapshot, lastTry);
    if (rows === null) return "recapture" as const;
    const lines = this.after.sent === undefined
      ? afterCursor(rows, this.after.anchor.cursorX ?? 0)
      : outputAfterSend(rows, this.after.sent);
    this.lastText = lines.join("\n");
    this.#lines = lines;
    return { lines, more: false };
  }

  output(): string[] {
    return this.#lines;
  }

  printed({ lines }: PaneSnapshot): boolean {
    // Entered the alternate screen since the anchor; else the screen differs from the first look.
    if (!this.after.anchor.alternateOn) return true;
    const text = lines.join("\n");
    this.#firstScreen ??= text;
    return text !== this.#firstScreen;
  }
}

/** The output lines after the anchor, read from the pane's tap. */
class StreamAfter implements LineView {
  readonly sent?: string;
  readonly #stream: TerminalLines;
  /** The stream's lines (completed, then the one in progress) already checked. */
  #checked = 0;
  #quiet = 0;
  #printed = false;
  /** Whether a line after the first is output (not the echo of a further sent line). */
  readonly #notEcho: (line: string) => boolean;

  constructor(private readonly tap: PaneTap, private readonly after: AfterSend) {
    this.sent = after.sent;
    this.#stream = new TerminalLines(undefined, { alternate: after.anchor.alternateOn });
    this.#notEcho = notEcho(after.sent);
  }

  capture(): null {
    return null; // the state is enough: the text comes from the tap
  }

  /** Reads what the tap has (the file can trail tmux's notice: "more" until two empty reads). */
  #read(): boolean {
    let bytes = this.tap.read();
    // Output tmux just reported may still be on its way into the file: a few short looks first.
    for (let i = 0; bytes.length === 0 && this.#quiet === 0 && i < TRAIL_LOOKS; i++) {
      pauseSync(TRAIL_STEP_MS);
      bytes = this.tap.read();
    }
    if (bytes.length === 0) {
      this.#quiet++;
      return false;
    }
    this.#quiet = 0;
    this.#printed = true;
    this.#stream.write(bytes);
    return true;
  }

  #early?: { lines: string[]; more: boolean };

  early(): string[] {
    this.#early = this.#look();
    return this.#early.lines;
  }

  lines() {
    const early = this.#early;
    this.#early = undefined;
    return early ?? this.#look();
  }

  /** Reads the tap: the lines not checked yet, and whether more may be on its way. */
  #look(): { lines: string[]; more: boolean } {
    if (!this.#read()) return { lines: [], more: this.#quiet < 2 };
    return { lines: this.#newLines(), more: true };
  }

  printed(): boolean {
    // What a full-screen program draws never becomes lines (the renderer leaves the alternate
    // screen out), so reading is enough: lines printed after it left are matched as usual.
    this.#read();
    return this.#printed;
  }

  output(): string[] {
    this.#read();
    return this.#all();
  }

  /**
   * Every output line: after a send, its echo (the first line) is not output.
   * Sent to a full-screen program, the echo and the cursor's row were on the
   * alternate screen, which the renderer leaves out: every line is output.
   */
  #all(): string[] {
    const all = this.#stream.all();
    return this.after.sent === undefined || this.after.anchor.alternateOn
      ? all
      : outputAfterSend(all, this.after.sent);
  }

  /** The last output lines (a timed-out wait reports them). */
  get lastText(): string {
    const from = Math.max(0, this.#stream.lineCount - LAST_TEXT_LINES);
    return this.#output(from).lines.map((line) => line.text).slice(-LAST_TEXT_LINES).join("\n");
  }

  /**
   * The output lines not checked yet (the last one again, as it may have
   * grown). Only the stream's lines from there are rendered and filtered,
   * so a wait over a long output costs what each read adds, not all of it
   * again.
   */
  #newLines(): string[] {
    // Lines matched before are not matched again; the last (maybe partial) one is.
    const { lines, count } = this.#output(Math.max(0, this.#checked - 1));
    // Checked up to the last output line kept (held-back trailing empty lines come again).
    this.#checked = lines.length === 0 ? Math.min(this.#checked, count) : lines.at(-1)!.at + 1;
    return lines.map((line) => line.text);
  }

  /**
   * The output among the stream's lines from `from` on, each with the index
   * of the stream line it came from, as {@link StreamAfter.output} gives it
   * whole: after a send, the first line (the echo) gives only what the join
   * glued to it, the echo of further sent lines is dropped, and trailing
   * empty lines wait until more follows; `count` is the stream's line count
   * (the line in progress included).
   */
  #output(from: number): { lines: { text: string; at: number }[]; count: number } {
    const partial = this.#stream.partial;
    const raw = this.#stream.lines(from);
    if (partial !== "") raw.push(partial);
    const count = from + raw.length;
    const lines = raw.map((text, i) => ({ text, at: from + i }));
    const sent = this.after.sent;
    if (sent === undefined || this.after.anchor.alternateOn) return { lines, count };
    const output = lines.flatMap((line) => {
      if (line.at > 0) return this.#notEcho(line.text) ? [line] : [];
      const glued = gluedOutput(line.text, sent);
      return glued === "" ? [] : [{ text: glued, at: 0 }];
    });
    while (output.length > 0 && output.at(-1)!.text === "") output.pop();
    return { lines: output, count };
  }
}

/**
 * The lines from an anchor taken without a send: the anchor row from the
 * cursor's column on (what was before it is old), then the rows below it,
 * trailing empty lines dropped.
 */
function afterCursor(rows: readonly string[], column: number): string[] {
  const lines = [[...(rows[0] ?? "")].slice(column).join(""), ...rows.slice(1)];
  while (lines.length > 0 && lines.at(-1)!.trimEnd() === "") lines.pop();
  return lines;
}

/**
 * Output heard this long after a look that found the cursor in the first
 * column is taken to begin a line (see {@link RecentLines}).
 */
const HEARD_AFTER_MS = 10;

/** History rows a look of {@link RecentLines} after the first reads (when that covers what is new). */
const RECENT_WINDOW = 200;

/** A tap read that finds nothing looks again this many times, this far apart (ms). */
const TRAIL_LOOKS = 10;
const TRAIL_STEP_MS = 0.2;

/** How many lines a timed-out stream wait reports as its last text. */
const LAST_TEXT_LINES = 1000;
