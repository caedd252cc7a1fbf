/**
 * Running one command in a pane and getting back what it printed and how it
 * ended, as if it had run in a subprocess.
 *
 * In a shell the command is typed with a marker command on the same input:
 * `CMD; printf '\n__ctmux_ID_%s__\n' "$?"`. The echo of that line shows
 * `%s`; only the run prints the marker with the exit status in its place,
 * so the echo can never end the wait. In a Python REPL or gdb, the run ends
 * when the bare prompt (`>>> `, `(gdb) `) comes back as the last row, after
 * the echo of every line that was typed. Output is read from the rendered
 * pane (wrapped lines joined), from the rows below the cursor row of the
 * moment of the send, so earlier output never leaks in; the wait wakes on
 * control-mode notifications.
 *
 * Limits: the output is the screen's rendering (tabs become spaces, colours
 * are dropped); text is typed, so a tab in the command reaches readline as a
 * completion key; two runs in the same pane at once would mix their input.
 *
 * @module
 */
import { AnchoredView, outputAfterSend } from "./anchor.ts";
import type { CaptureOptions } from "./capture.ts";
import { PaneNotFoundError, ServerNotRunningError, UsageError } from "./errors.ts";
import { boundOutput } from "./output.ts";
import { type Anchor, type Pane, type PaneSnapshot, withBlankLine } from "./pane.ts";
import { type OscEvent, TerminalLines } from "./render.ts";
import type { Server } from "./server.ts";
import { PaneTap } from "./tap.ts";
import { type Probe, waitUntil } from "./until.ts";
import { atLeast } from "./validate.ts";

/** How a command is run: in a POSIX shell, fish, a Python REPL or gdb. */
export type RunMode = "shell" | "fish" | "python" | "debugger";

/** Options of {@link runCommand}. */
export interface RunOptions {
  /** The command: a shell command line (several lines allowed), Python code or a gdb command. */
  command: string;
  /**
   * The session's registry type (`shell`, `python-repl`, `debugger`). Other
   * or no value: the mode is read from the program running in the pane.
   */
  type?: string;
  /** How long to wait for the command, in milliseconds (default 30000); it keeps running after. */
  waitMs?: number;
  /** Stops waiting (the run rejects with the signal's reason); the command keeps running. */
  signal?: AbortSignal;
  /**
   * The toolkit's socket folder: the run taps the pane's output into its
   * private space, so no line is lost whatever the pane's history keeps.
   */
  socketDir?: string;
  /**
   * Return at most this many lines (the first and last ones, with a line
   * between saying how many were left out and which file holds them all).
   */
  maxLines?: number;
}

/** What a run returns: its output, exit status, whether it timed out, and how long it took. */
export interface RunResult {
  /** What the command printed, as the pane shows it, without a final newline. */
  output: string;
  /**
   * The command's exit status (shell), 1 after a Python traceback, else 0;
   * `null` when the run did not complete.
   */
  exitCode: number | null;
  /** Whether the wait gave up before the command finished. */
  timedOut: boolean;
  /** Milliseconds from the send to the end of the wait. */
  durationMs: number;
  /** This run's id (also the name of its output file). */
  runId: string;
  /**
   * Output lines may be gone: the pane could not be tapped and its history,
   * being full, dropped lines after the send. `output` is then not all of it.
   */
  outputLost: boolean;
  /** Lines were left out of `output` because of `maxLines`. */
  truncated: boolean;
  /** How many lines the command's whole output has. */
  linesTotal: number;
  /** The private file holding the whole output, when `truncated`. */
  outputFile?: string;
}

/** How a run ended. Every outcome carries a {@link RunResult}. */
export type RunOutcome =
  | (RunResult & { kind: "completed"; exitCode: number; timedOut: false })
  | (RunResult & { kind: "timed_out"; exitCode: null; timedOut: true })
  | (RunResult & { kind: "pane_gone"; exitCode: null; timedOut: false; reason: string });

const SHELLS = new Set(["sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "yash"]);

/**
 * The run mode of a registry type, else of the program a pane runs
 * (`bash` → `shell`, `python3.12` → `python`, `gdb` → `debugger`); `undefined`
 * when neither tells.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { runMode } from "./run.ts";
 * assert.equal(runMode("python-repl"), "python");
 * assert.equal(runMode(undefined, "bash"), "shell");
 * assert.equal(runMode(undefined, "vim"), undefined);
 * ```
 */
export function runMode(type?: string, program?: string): RunMode | undefined {
  switch (type) {
    case "shell":
      return "shell";
    case "python-repl":
      return "python";
    case "debugger":
      return "debugger";
  }
  const name = (program ?? "").trim().replace(/^-/, "").replace(/^.*\//, "");
  if (SHELLS.has(name)) return "shell";
  if (name === "fish") return "fish";
  if (/^python[\d.]*$/.test(name)) return "python";
  if (/^gdb/.test(name)) return "debugger";
  return undefined;
}

/** What a run has seen since the send. */
interface Seen {
  /** The rows after the send, the first (the echo of the first typed line) left out. */
  rows: readonly string[];
  /** The rendered byte stream, when the pane was tapped. */
  stream?: TerminalLines;
  /** The stream's OSC sequences, in order. */
  markers: readonly OscEvent[];
}

/** What to type, and how to read the output and the end from what was seen. */
interface Plan {
  /** The text typed into the pane. */
  text: string;
  /** Paste `text` as a block (it then needs no Enter) instead of typing it and pressing Enter. */
  paste: boolean;
  /** Output so far; `exitCode` is set once the run has ended. */
  read: (seen: Seen) => { output: string[]; exitCode?: number };
  /** Whether `read` needs `rows` (a stream plan reads the stream itself). */
  rows: boolean;
}

/** A random id for a run's marker. */
function markerId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}

/**
 * The line typed in a shell for `command` and its marker `id`: the command,
 * then a `printf` that prints the marker with the exit status. A command of
 * several lines, or with a `#` (a comment would swallow the marker) or a
 * trailing `\`, is wrapped in a group (`{ ...\n}`; fish: `begin ... end`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellLine } from "./run.ts";
 * assert.equal(shellLine("make test", "ab12"), `make test; printf '\\n__ctmux_ab12_%s__\\n' "$?"`);
 * ```
 */
export function shellLine(command: string, id: string, fish = false): string {
  const marker = fish
    ? `printf '\\n__ctmux_${id}_%s__\\n' $status`
    : `printf '\\n__ctmux_${id}_%s__\\n' "$?"`;
  const trimmed = command.trimEnd();
  if (/[\n#]/.test(trimmed) || trimmed.endsWith("\\")) {
    return fish ? `begin\n${trimmed}\nend; ${marker}` : `{ ${trimmed}\n}; ${marker}`;
  }
  // `CMD &; printf` and `CMD;; printf` are syntax errors.
  const joiner = /(^|[^&])&$/.test(trimmed) || trimmed.endsWith(";") ? " " : "; ";
  return `${trimmed}${joiner}${marker}`;
}

/** The OSC sequence (invisible on screen) that marks a run's start or end in the byte stream. */
const OSC_MARK = "7777;ctmux";

/**
 * The line typed in a tapped shell for `command` and its marker `id`: an
 * invisible start mark, the command (grouped as in {@link shellLine}), and
 * an invisible end mark carrying the exit status. The marks are OSC
 * sequences: tmux shows nothing for them, the byte stream has them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { streamShellLine } from "./run.ts";
 * assert.equal(
 *   streamShellLine("make", "ab12"),
 *   `printf '\\033]7777;ctmux;ab12;start\\007'; make; printf '\\033]7777;ctmux;ab12;%s\\007' "$?"`,
 * );
 * ```
 */
export function streamShellLine(command: string, id: string, fish = false): string {
  const mark = (what: string) => `printf '\\033]${OSC_MARK};${id};${what}\\007'`;
  const status = fish ? " $status" : ' "$?"';
  const trimmed = command.trimEnd();
  const start = mark("start");
  const end = `${mark("%s")}${status}`;
  if (/[\n#]/.test(trimmed) || trimmed.endsWith("\\")) {
    return fish ? `${start}; begin\n${trimmed}\nend; ${end}` : `${start}; { ${trimmed}\n}; ${end}`;
  }
  const joiner = /(^|[^&])&$/.test(trimmed) || trimmed.endsWith(";") ? " " : "; ";
  return `${start}; ${trimmed}${joiner}${end}`;
}

/** A shell run read from the pane's byte stream: the output is what lies between the marks. */
function streamShellPlan(command: string, fish: boolean): Plan {
  const id = markerId();
  const text = streamShellLine(command, id, fish);
  const startMark = `${OSC_MARK};${id};start`;
  const endMark = new RegExp(`^${OSC_MARK};${id};(\\d+)$`);
  // With xtrace on, the shell traces the end mark's printf before running it.
  const trace = new RegExp(`^\\++ printf '\\\\033\\]${OSC_MARK};${id};%s\\\\007'`);
  const read = ({ stream, markers }: Seen) => {
    const start = markers.find((m) => m.text === startMark);
    if (!stream || !start) return { output: [] };
    const end = markers.find((m) => endMark.test(m.text));
    const lines = stream.lines;
    const upTo = end ?? { line: lines.length, partial: stream.partial };
    const output = start.line === upTo.line ? [upTo.partial.slice(start.partial.length)] : [
      lines[start.line].slice(start.partial.length),
      ...lines.slice(start.line + 1, upTo.line),
      upTo.partial,
    ];
    if (output.at(-1) === "") output.pop(); // the command's output ended with a line break
    if (!end) return { output };
    if (trace.test(output.at(-1) ?? "")) output.pop();
    return { output, exitCode: Number(endMark.exec(end.text)![1]) };
  };
  return { text, paste: text.includes("\n"), read, rows: false };
}

/** A shell run read from the pane's grid (no tap): a visible marker line ends it. */
function gridShellPlan(command: string, fish: boolean): Plan {
  const id = markerId();
  const marker = new RegExp(`__ctmux_${id}_(\\d+)__`);
  const echo = `__ctmux_${id}_%s__`;
  const read = ({ rows }: Seen) => {
    const end = rows.findIndex((row) => marker.test(row));
    const stop = end === -1 ? rows.length : end;
    // Rows up to the last echo of the typed text are input (continuation
    // lines, or a re-echo when the shell was still busy when it was typed).
    const start = rows.slice(0, stop).findLastIndex((row) => row.includes(echo)) + 1;
    const output = rows.slice(start, stop);
    if (end === -1) {
      while (output.length > 0 && output.at(-1) === "") output.pop();
      return { output };
    }
    const found = marker.exec(rows[end])!;
    const before = rows[end].slice(0, found.index);
    if (before !== "") output.push(before);
    // The marker's leading newline ends the command's last line (empty if it was complete).
    else if (output.at(-1) === "") output.pop();
    return { output, exitCode: Number(found[1]) };
  };
  const text = shellLine(command, id, fish);
  return { text, paste: text.includes("\n"), read, rows: true };
}

/** Python code that is a block (several lines or a compound statement): it needs a blank line. */
function isPythonBlock(code: string): boolean {
  const first = code.trimEnd().split("\n");
  if (first.length > 1) return true;
  return /^\s*(@|(if|for|while|def|class|with|try|async|match)\b.*:)/.test(first[0]) ||
    first[0].trimEnd().endsWith(":");
}

/** A Python traceback or syntax error report. */
function isPythonError(output: readonly string[]): boolean {
  if (output.some((line) => line === "Traceback (most recent call last):")) return true;
  return output.some((line) => /^ {2}File "<stdin>", line \d+/.test(line)) &&
    /^[A-Za-z_][\w.]*(Error|Exception)\b/.test(output.at(-1) ?? "");
}

/**
 * A REPL's plan: the run ends when the last row is the bare prompt and every
 * further typed line has been echoed after a prompt (so a prompt between
 * two typed statements does not end it).
 */
function replPlan(command: string, mode: "python" | "debugger"): Plan {
  const prompt = mode === "python" ? ">>> " : "(gdb) ";
  const prompts = mode === "python" ? [">>> ", "... "] : [prompt];
  const lines = command.replace(/\n+$/, "").split("\n");
  const first = lines[0].trimEnd();
  const further = lines.slice(1).map((line) => line.trimEnd()).filter((line) => line !== "");
  const isEcho = (row: string, typed: string) =>
    prompts.some((p) => row.startsWith(p) && row.slice(p.length).trimEnd() === typed);
  const isBarePrompt = (row: string) => prompts.includes(row);
  const block = mode === "python" && isPythonBlock(command);

  /** Rows after the typed input (the first row, the anchor row, is already dropped). */
  const afterInput = (rows: readonly string[]): { rest: string[]; echoed: number } => {
    // A re-echo of a one-line command: the REPL was still busy when it was typed.
    const start = further.length === 0 ? rows.findLastIndex((row) => isEcho(row, first)) + 1 : 0;
    const rest: string[] = [];
    let echoed = 0;
    for (const row of rows.slice(start)) {
      if (echoed < further.length && isEcho(row, further[echoed])) echoed++;
      else rest.push(row);
    }
    return { rest, echoed };
  };
  const done = (rows: readonly string[]) =>
    rows.at(-1) === prompt && afterInput(rows.slice(0, -1)).echoed === further.length;
  const read = ({ rows }: Seen) => {
    const complete = done(rows);
    const { rest } = afterInput(complete ? rows.slice(0, -1) : rows);
    // Bare prompts are the echo of blank lines (the one that ends a block).
    const output = rest.filter((row) => !isBarePrompt(row));
    while (output.length > 0 && output.at(-1) === "") output.pop();
    if (!complete) return { output };
    return { output, exitCode: mode === "python" && isPythonError(output) ? 1 : 0 };
  };
  return {
    text: block ? withBlankLine(command) : lines.length > 1 ? `${lines.join("\n")}\n` : lines[0],
    paste: block || lines.length > 1,
    read,
    rows: true,
  };
}

/** The plan for `command` in `mode`, read from the byte stream when `tapped`, else the grid. */
function planFor(mode: RunMode, command: string, tapped: boolean): Plan {
  switch (mode) {
    case "shell":
    case "fish":
      return tapped
        ? streamShellPlan(command, mode === "fish")
        : gridShellPlan(command, mode === "fish");
    case "python":
    case "debugger":
      return replPlan(command, mode);
  }
}

/** The name of a process from `/proc` (`undefined` where it can't be read). */
function processName(pid: number | null): string | undefined {
  if (pid === null) return undefined;
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return undefined;
  }
}

/**
 * The mode for a pane: from the registry type, else from the program in the
 * foreground (`#{pane_current_command}`), else from the pane's own process
 * (a shell still running an earlier command).
 *
 * @throws {UsageError} neither is a shell, Python or gdb.
 */
async function paneMode(
  pane: Pane,
  target: string,
  type: string | undefined,
  signal: AbortSignal | undefined,
): Promise<RunMode> {
  const fromType = runMode(type);
  if (fromType) return fromType;
  const current = await pane.currentCommand({ signal });
  const mode = runMode(undefined, current) ?? runMode(undefined, processName(pane.info.panePid));
  if (mode) return mode;
  throw new UsageError(
    `Cannot run a command in pane ${target}: it runs '${current}', not a shell, Python or gdb`,
  );
}

/** Looks for the end of a run in the pane's grid: the rows below the anchor. */
class GridProbe implements Probe<true> {
  readonly seen: Seen = { rows: [], markers: [] };
  readonly #view: AnchoredView;
  readonly #typed: string;

  constructor(anchor: Anchor, private readonly plan: Plan) {
    // Only the first line: rows that look like further typed lines are the plan's to judge.
    this.#typed = plan.text.split("\n")[0];
    this.#view = new AnchoredView({ anchor, sent: this.#typed });
  }

  /** Whether output after the send may be gone from the grid. */
  get lost(): boolean {
    return this.#view.lost;
  }

  capture(): CaptureOptions {
    return this.#view.capture();
  }

  test(snapshot: PaneSnapshot, lastTry: boolean) {
    const rows = this.#view.fromAnchor(snapshot, lastTry);
    if (rows === null) return "recapture" as const;
    this.seen.rows = outputAfterSend(rows, this.#typed);
    return this.plan.read(this.seen).exitCode === undefined ? undefined : { done: true as const };
  }
}

/** Looks for the end of a run in the pane's byte stream, read from its tap. */
class StreamProbe implements Probe<true> {
  readonly seen: Seen & { stream: TerminalLines; markers: OscEvent[] };
  readonly #typed: string;
  #quiet = 0;

  constructor(private readonly tap: PaneTap, private readonly plan: Plan) {
    const markers: OscEvent[] = [];
    this.seen = { rows: [], stream: new TerminalLines((m) => markers.push(m)), markers };
    this.#typed = plan.text.split("\n")[0];
  }

  capture(): null {
    return null; // the state is enough: the text comes from the tap
  }

  test() {
    const bytes = this.tap.read();
    if (bytes.length > 0) {
      this.seen.stream.write(bytes);
      if (this.plan.rows) this.seen.rows = outputAfterSend(this.seen.stream.all(), this.#typed);
      this.#quiet = 0;
    } else this.#quiet++;
    if (this.plan.read(this.seen).exitCode !== undefined) return { done: true as const };
    // The file can trail tmux's notice of the output: look twice more before sleeping on events.
    return this.#quiet < 2 ? "soon" as const : undefined;
  }
}

/**
 * Runs one command in the pane `target` points at and waits for it: in a
 * shell, returns exactly what the command printed and its exit status; in a
 * Python REPL or gdb, what appeared before the prompt came back (exit status
 * 1 after a Python traceback, else 0). When `waitMs` runs out the command is
 * left running and the output so far is returned.
 *
 * With `socketDir`, the pane's output is tapped for the run (`tap.ts`), so
 * every line comes back whatever the pane's history keeps; without it, or
 * when the pane already pipes its output elsewhere, the output is read from
 * the pane's grid and `outputLost` says when the history dropped some of it.
 *
 * @example
 * ```ts ignore
 * const outcome = await runCommand(server, "work:0.0", { command: "echo a; (exit 7)" });
 * if (outcome.kind === "completed") console.log(outcome.output, outcome.exitCode); // "a" 7
 * ```
 * @throws {PaneNotFoundError} the pane (or its session) does not exist.
 * @throws {ServerNotRunningError} no server runs on the socket.
 * @throws {UsageError} an empty command, or a pane that runs neither a shell, Python nor gdb.
 * @throws {SendFailedError} typing the command failed.
 * @throws the signal's reason when `signal` aborts.
 */
export async function runCommand(
  server: Server,
  target: string,
  options: RunOptions,
): Promise<RunOutcome> {
  const { signal } = options;
  signal?.throwIfAborted();
  if (options.command.trim() === "") throw new UsageError("command is required");
  atLeast("maxLines", options.maxLines, 1);
  const { health, pane } = await server.inspect(target, { signal });
  if (!health.serverRunning) throw new ServerNotRunningError(server.label);
  if (!pane) throw new PaneNotFoundError(target, health.sessionExists);
  const runId = markerId();
  if (health.status !== "healthy") {
    const reason = health.status === "dead" ? "the pane is dead" : "its process has exited";
    return {
      kind: "pane_gone",
      reason,
      ...emptyResult(runId),
    };
  }
  const mode = await paneMode(pane, target, options.type, signal);
  await using tap = options.socketDir === undefined
    ? null
    : await PaneTap.open(pane, options.socketDir);
  const plan = planFor(mode, options.command, tap !== null);
  const before = tap ? tap.startArgs() : [];

  const started = performance.now();
  let anchor: Anchor;
  if (plan.paste) {
    anchor = await pane.sendAnchored(plan.text, "paste", { signal, attempts: 1, before });
    if (!plan.text.endsWith("\n")) await pane.send("", "keys", { signal, attempts: 1 });
  } else {
    anchor = await pane.sendAnchored(plan.text, "line", { signal, attempts: 1, before });
  }

  const probe = tap ? new StreamProbe(tap, plan) : new GridProbe(anchor, plan);
  const outcome = await waitUntil(pane, probe, {
    waitMs: options.waitMs ?? 30_000,
    label: "the pane",
    signal,
  });
  const durationMs = Math.round(performance.now() - started);
  const read = plan.read(probe.seen);
  const bounded = await boundOutput(read.output, options.maxLines, {
    socketDir: options.socketDir ?? "",
    session: pane.session,
    runId,
  });
  const result = {
    output: bounded.lines.join("\n"),
    durationMs,
    runId,
    outputLost: probe instanceof GridProbe && probe.lost,
    truncated: bounded.truncated,
    linesTotal: bounded.linesTotal,
    outputFile: bounded.outputFile,
  };
  switch (outcome.kind) {
    case "done":
      return { kind: "completed", ...result, exitCode: read.exitCode ?? 0, timedOut: false };
    case "timed_out":
      return { kind: "timed_out", ...result, exitCode: null, timedOut: true };
    case "pane_gone":
      return {
        kind: "pane_gone",
        reason: outcome.reason,
        ...result,
        exitCode: null,
        timedOut: false,
      };
  }
}

function emptyResult(runId: string) {
  return {
    output: "",
    exitCode: null,
    timedOut: false as const,
    durationMs: 0,
    runId,
    outputLost: false,
    truncated: false,
    linesTotal: 0,
  };
}
