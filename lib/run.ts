/**
 * Running one command in a pane and getting back what it printed and how it
 * ended, as if it had run in a subprocess, whatever program the pane runs.
 *
 * The pane decides (`run/detect.ts`): before anything is typed, one tmux
 * call reads the foreground program, the alternate screen and the prompt on
 * the cursor's row. A shell gets the command as one `eval` line between
 * invisible marks (`run/shell.ts`); Python's REPL gets one `exec` line whose
 * driver runs the code like a file (`run/python.ts`); pdb, gdb, lldb, node
 * and any program given a prompt pattern get each line typed after the
 * previous prompt (`run/prompt.ts`). A full-screen program, a program at no
 * prompt, or one run does not know is refused and nothing is typed.
 *
 * The output is read from the pane's tapped byte stream (`tap.ts`), so no
 * line is lost whatever the history keeps; where the pane can't be tapped,
 * from the grid. A run that has not ended when its output goes quiet on a
 * partial line is checked with `ps` (`run/waiting.ts`): a foreground that
 * waits for input ends the wait as `waiting_for_input` with that line as
 * the prompt. A run that did not end (waiting, or timed out) keeps its tap
 * open (`run/pending.ts`), so {@link resumeRun} collects the rest later.
 *
 * Python's driver is defined once per REPL and then called by a short line;
 * it replaces the typed lines' rows with the code as a person would type it.
 *
 * Limits: a run into a pane whose earlier run has not ended is refused once
 * that run has returned (it left its state); two runs started at the same
 * moment in one pane are not kept apart. In a pane that can't be tapped
 * (someone else's `pipe-pane`), waiting for input is not detected and a run
 * can't be resumed. A shell's typed `eval` line stays visible in the pane.
 *
 * @module
 */
import { AnchoredView, outputAfterSend } from "./anchor.ts";
import type { CaptureOptions } from "./capture.ts";
import {
  PaneNotFoundError,
  ServerNotRunningError,
  TmuxCommandError,
  UsageError,
} from "./errors.ts";
import { healthFromPanes, type PaneHealth } from "./health.ts";
import { findPane, PANE_FORMAT, parsePanes } from "./panes.ts";
import { matcherOf } from "./lines.ts";
import { boundOutput, type OutputOwner, ownerOfPane } from "./output.ts";
import { join } from "./path.ts";
import { type Anchor, Pane, type PaneSnapshot } from "./pane.ts";
import { type OscEvent, TerminalLines } from "./render.ts";
import type { Server } from "./server.ts";
import { type LogStart, PaneTap } from "./tap.ts";
import { type Probe, type Verdict, waitUntil } from "./until.ts";
import { atLeast, oneOf } from "./validate.ts";
import { decide, type PaneView, parseView, viewArgs, viewPane, viewStart } from "./run/detect.ts";
import { MODE_PROMPTS, programName, RUN_MODES, type RunMode } from "./run/modes.ts";
import {
  ensureRunsDir,
  loadPending,
  markPane,
  type PendingRun,
  releasePane,
  removePending,
  RUN_ID,
  runsDir,
  savePending,
} from "./run/pending.ts";
import {
  type Plan,
  type PlanSpec,
  type Progress,
  type PromptSpec,
  type Reading,
  runId as newRunId,
  type Seen,
  type Step,
} from "./run/plan.ts";
import { promptPlan } from "./run/prompt.ts";
import { pythonPlan } from "./run/python.ts";
import { commandOfArgs, gridShellPlan, streamShellPlan } from "./run/shell.ts";
import { type Foreground, ForegroundWatch } from "./run/waiting.ts";
import { pauseSync } from "./time.ts";

export { RUN_MODES, type RunMode } from "./run/modes.ts";
export { commandOfArgs } from "./run/shell.ts";

/** Options of {@link runCommand}. */
export interface RunOptions {
  /**
   * The command: a shell command line (several lines allowed), Python code,
   * or lines for a debugger or another prompt-driven program.
   */
  command?: string;
  /**
   * The command as arguments, instead of `command`: in a shell each one is
   * passed as it is (quoted one by one, as `exec` would pass them);
   * elsewhere they are joined with spaces.
   */
  args?: readonly string[];
  /** The session's registry type (`shell`, `python-repl`, `debugger`): a hint only. */
  type?: string;
  /**
   * The mode, instead of the one the pane shows: for a program run does not
   * know by name (a shell over ssh, a wrapped REPL). The pane must still be
   * at the mode's prompt (shells: any prompt).
   */
  mode?: RunMode;
  /**
   * A prompt pattern (a `grep -E` pattern, or a RegExp) for a prompt-driven
   * program run does not know (sqlite3, psql, a custom CLI): matched on the
   * line the program waits at; each line of `command` is typed after it and
   * the output is what appears before it comes back.
   */
  prompt?: string | RegExp;
  /** How long to wait for the command, in milliseconds (default 30000); it keeps running after. */
  waitMs?: number;
  /** Stops waiting (the run rejects with the signal's reason); the command keeps running. */
  signal?: AbortSignal;
  /**
   * The toolkit's socket folder: the run taps the pane's output into its
   * private space, so no line is lost whatever the pane's history keeps, and
   * a run that does not end can be resumed.
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
  /**
   * Return at most this many lines (the first and last ones, with a line
   * between saying how many were left out and which file holds them all).
   */
  maxLines?: number;
}

/** Options of {@link resumeRun}. */
export interface ResumeOptions {
  /** The id of the run to wait for again (`runId` of its first result). */
  runId: string;
  /** The toolkit's socket folder (where the run's tap and state are). */
  socketDir: string;
  /** How long to wait, in milliseconds (default 30000). */
  waitMs?: number;
  /** Stops waiting (rejects with the signal's reason). */
  signal?: AbortSignal;
  /** As in {@link RunOptions.maxLines}. */
  maxLines?: number;
}

/** What a run returns: its output, exit status, whether it timed out, and how long it took. */
export interface RunResult {
  /** What the command printed, as the pane shows it, without a final newline. */
  output: string;
  /**
   * The command's exit status (shell), 1 when an exception reached Python's
   * top level (or a mode's error line), else 0; `null` when the run did not
   * complete.
   */
  exitCode: number | null;
  /** Whether the wait gave up before the command finished. */
  timedOut: boolean;
  /** Milliseconds from the send to the end of the wait. */
  durationMs: number;
  /** This run's id: `resumeRun` takes it. */
  runId: string;
  /** The mode the run used (`undefined` when it was refused before one was chosen). */
  mode?: RunMode;
  /** The run is waiting for input (see `prompt`). */
  waitingForInput: boolean;
  /** The line the program waits at, when it waits for input. */
  prompt: string | null;
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

/**
 * How a run ended. Every outcome carries a {@link RunResult}: `completed`,
 * `timed_out` (the command keeps running; resume it later),
 * `waiting_for_input` (the program waits at `prompt`: answer it, then resume),
 * `pane_gone`, or `refused` (nothing was typed: `reason` says why).
 */
export type RunOutcome =
  | (RunResult & { kind: "completed"; exitCode: number; timedOut: false })
  | (RunResult & { kind: "timed_out"; exitCode: null; timedOut: true })
  | (RunResult & {
    kind: "waiting_for_input";
    exitCode: null;
    timedOut: false;
    waitingForInput: true;
    prompt: string;
  })
  | (RunResult & { kind: "pane_gone"; exitCode: null; timedOut: false; reason: string })
  | (RunResult & {
    kind: "refused";
    exitCode: null;
    timedOut: false;
    reason: string;
    /** The program the pane runs. */
    program: string;
  });

/** Output quiet this long, on a partial line, before `ps` is asked whether input is awaited. */
const QUIET_MS = 200;
/**
 * A "waiting" answer is asked again this much later, with no output meanwhile,
 * before it counts: a program blocked writing to a terminal that tmux is slow
 * to drain (a loaded machine) sleeps in the same kernel wait as one reading it.
 */
const CONFIRM_MS = 250;
/** While a run stays quiet and busy, `ps` is asked again this often. */
const RECHECK_MS = 1000;
/** How long a run may go on after its first wait to learn an interrupted line's status. */
const QUERY_WAIT_MS = 3000;

/** Looks at the tap right after the send, before any tmux call, at most this many times (15 ms)... */
const QUICK_LOOKS = 30;
/** ...this many milliseconds apart: a fast command has ended before a tmux call could ask. */
const QUICK_LOOK_MS = 0.5;

/** What the wait of a run ended with. */
type End = "completed" | "step" | "waiting" | "prompt_back" | "retry";

/** A prompt pattern as stored (its test is {@link promptTest}). */
function promptOf(prompt: string | RegExp): PromptSpec {
  return prompt instanceof RegExp
    ? { source: prompt.source, flags: prompt.flags }
    : { ere: prompt };
}

function promptTest(spec: PromptSpec): (line: string) => boolean {
  return matcherOf("ere" in spec ? spec.ere : new RegExp(spec.source, spec.flags));
}

/** The plan a spec describes (the same on a resume). */
function planOf(spec: PlanSpec): Plan {
  switch (spec.mode) {
    case "shell":
      return spec.tapped
        ? streamShellPlan(spec.command, spec.id, spec.dialect ?? "bash", spec.promptLine)
        : gridShellPlan(spec.command, spec.id, spec.dialect ?? "bash");
    case "python":
      return pythonPlan(spec.command, spec.id, spec.tapped, {
        promptWidth: spec.promptWidth,
        pyrepl: spec.redraws ?? false,
      });
    case "prompt":
      return promptPlan(
        spec.command,
        "prompt",
        promptTest(spec.prompt ?? { ere: "" }),
        spec.tapped,
      );
    default: {
      const prompt = MODE_PROMPTS[spec.mode];
      return promptPlan(spec.command, spec.mode, (line) => prompt.test(line), spec.tapped);
    }
  }
}

/** A step ended: the run, or only a step of it with more to send. */
function stepOrEnd(plan: Plan, progress: Progress): End {
  return progress.sent < plan.steps.length ? "step" : "completed";
}

/** Lines of a reading that are complete (the partial line in progress left out). */
function completeLines(reading: Reading): number {
  const partialShown = reading.partial !== "" && reading.output.at(-1) === reading.partial;
  return Math.max(0, reading.output.length - (partialShown ? 1 : 0));
}

/** Looks for the end of a run in the pane's grid: the rows below the anchor. */
class GridProbe implements Probe<End> {
  readonly seen: Seen = { rows: [], markers: [] };
  readonly #view: AnchoredView;
  readonly #typed: string;

  constructor(anchor: Anchor, private readonly plan: Plan, private readonly progress: Progress) {
    // Only the first line: rows that look like further typed lines are the plan's to judge.
    this.#typed = plan.steps[0].text.split("\n")[0];
    this.#view = new AnchoredView({ anchor, sent: this.#typed });
  }

  /** Whether output after the send may be gone from the grid. */
  get lost(): boolean {
    return this.#view.lost;
  }

  /** Where the next step's echo will be: unused by a grid plan. */
  get line(): number {
    return 0;
  }

  capture(): CaptureOptions {
    return this.#view.capture();
  }

  test(snapshot: PaneSnapshot, lastTry: boolean): Verdict<End> {
    const rows = this.#view.fromAnchor(snapshot, lastTry);
    if (rows === null) return "recapture";
    this.seen.rows = outputAfterSend(rows, this.#typed);
    if (this.plan.read(this.seen, this.progress).exitCode === undefined) return undefined;
    return { done: stepOrEnd(this.plan, this.progress) };
  }
}

/**
 * Looks for the end of a run in the pane's byte stream, read from its tap;
 * when the stream goes quiet on a partial line, asks `ps` whether the
 * foreground waits for input (or, in a shell, whether its prompt is back).
 */
class StreamProbe implements Probe<End> {
  readonly seen: Seen & { stream: TerminalLines; markers: OscEvent[] };
  #quiet = 0;
  #changedAt = performance.now();
  #bytes = 0;
  #reading: Reading = { output: [], partial: "" };
  #fg: Foreground | null = null;
  /** Answers in a row, with no output between them, that the foreground waits. */
  #agree = 0;
  /** One of them saw a line editor's wait. */
  #editing = false;
  #checking = false;
  #checkedAt = -Infinity;

  constructor(
    private readonly tap: PaneTap,
    private readonly plan: Plan,
    private readonly progress: Progress,
    private readonly watch: ForegroundWatch | null,
  ) {
    const markers: OscEvent[] = [];
    this.seen = { rows: [], stream: new TerminalLines((m) => markers.push(m)), markers };
  }

  /** The stream line the next step's echo will be on (the line in progress). */
  get line(): number {
    return this.seen.stream.lineCount;
  }

  capture(): null {
    return null; // the state is enough: the text comes from the tap
  }

  test(): Verdict<End> {
    const now = performance.now();
    const bytes = this.tap.read();
    if (bytes.length > 0) {
      this.seen.stream.write(bytes);
      this.#bytes += bytes.length;
      this.#quiet = 0;
      this.#changedAt = now;
      this.#fg = null;
      this.#agree = 0;
      this.#editing = false;
    } else this.#quiet++;
    // A plan that tells its end cheaply is read in full only at its end or once quiet long
    // enough to ask whether it waits (a million lines would be copied at every look): until
    // then its reading is the line in progress, which is all the foreground check looks at.
    if (
      this.plan.ended && !this.plan.ended(this.seen) && now - this.#changedAt < QUIET_MS
    ) {
      this.#reading = { output: [], partial: this.seen.stream.partial };
      return this.#quiet < 2 ? "soon" : undefined;
    }
    const reading = this.plan.read(this.seen, this.progress);
    this.#reading = reading;
    if (reading.retry) return { done: "retry" };
    if (reading.exitCode !== undefined) {
      return { done: stepOrEnd(this.plan, this.progress) };
    }
    if (this.#watching(reading) && now - this.#changedAt >= QUIET_MS) {
      const fg = this.#editing ? "editing" : this.#fg ?? "unknown";
      const back = this.plan.promptBack?.(reading, fg) ?? false;
      if (this.#agree >= 2) return { done: back ? "prompt_back" : "waiting" };
      if (this.#fg === "unknown" && back && now - this.#changedAt >= QUIET_MS + CONFIRM_MS) {
        return { done: "prompt_back" }; // no ps to ask: the prompt alone tells
      }
      if (!this.#checking && now - this.#checkedAt >= this.#nextCheckIn()) this.#check(now);
    }
    // The file can trail tmux's notice of the output: look twice more before sleeping on events.
    return this.#quiet < 2 || this.#checking ? "soon" : undefined;
  }

  wakeInMs(): number | undefined {
    if (!this.#watching(this.#reading)) return undefined;
    const now = performance.now();
    const quietFor = now - this.#changedAt;
    if (quietFor < QUIET_MS) return QUIET_MS - quietFor;
    return Math.max(0, this.#checkedAt + this.#nextCheckIn() - now);
  }

  /** How long after the last look at the foreground to look again. */
  #nextCheckIn(): number {
    if (this.#fg === null) return 0;
    return this.#agree > 0 || this.#fg === "unknown" ? CONFIRM_MS : RECHECK_MS;
  }

  /** Something was typed: what was known of the foreground is stale until it is asked again. */
  typed(): void {
    this.#changedAt = performance.now();
    this.#fg = null;
    this.#agree = 0;
    this.#editing = false;
    this.#checkedAt = -Infinity;
  }

  /** Whether the foreground is worth asking about: a partial line that is not the mode's prompt. */
  #watching(reading: Reading): boolean {
    if (this.watch === null || reading.exitCode !== undefined) return false;
    if (this.plan.promptBack?.(reading, "unknown")) return true;
    return this.watch.usable && reading.partial.trim() !== "" &&
      !this.plan.atPrompt?.(reading.partial);
  }

  #check(now: number): void {
    const at = this.#bytes;
    this.#checking = true;
    this.#checkedAt = now;
    this.watch!.check().then((fg) => {
      // Output that came meanwhile makes the answer stale.
      if (this.#bytes !== at) return;
      this.#fg = fg;
      const waits = fg === "editing" || fg === "reading";
      this.#agree = waits ? this.#agree + 1 : 0;
      this.#editing = waits && (this.#editing || fg === "editing");
    }).finally(() => this.#checking = false);
  }
}

type AnyProbe = GridProbe | StreamProbe;

/**
 * Whether the run has already ended, from a few looks at its tap a
 * millisecond apart (blocking: nothing else runs meanwhile): most commands
 * end that soon, and the wait then needs no tmux call and no timer.
 */
function endedAtOnce(probe: StreamProbe): boolean {
  for (let look = 0; look < QUICK_LOOKS; look++) {
    const verdict = probe.test();
    if (typeof verdict === "object" && verdict.done === "completed") return true;
    pauseSync(QUICK_LOOK_MS);
  }
  return false;
}

/** Sends one step: typed and Enter, or pasted (bracketed where asked) and Enter. */
async function sendStep(
  pane: Pane,
  step: Step,
  options: { signal?: AbortSignal; before?: string[] },
): Promise<Anchor> {
  const call = { signal: options.signal, attempts: 1, before: options.before };
  if (!step.paste) return await pane.sendAnchored(step.text, "line", call);
  const anchor = await pane.sendAnchored(step.text, "paste", { ...call, bracketed: true });
  await pane.send("", "keys", { signal: options.signal, attempts: 1 });
  return anchor;
}

/** How following a run ended. */
type Followed =
  | { kind: "completed" | "waiting" | "timed_out" }
  | { kind: "pane_gone"; reason: string };

/**
 * Waits for a run: sends its further steps as each one ends, asks a shell
 * for the status of a line that came back to the prompt without its end
 * mark (once), and stops on the end, on input awaited, on the deadline or
 * when the pane goes away.
 */
async function follow(
  pane: Pane,
  plan: Plan,
  progress: Progress,
  probe: AnyProbe,
  options: { waitMs: number; signal?: AbortSignal; label: string },
): Promise<Followed> {
  let deadline = performance.now() + options.waitMs;
  let queried = false;
  /** Sends a step; a stream probe then looks for the echo of what it typed. */
  const send = async (step: Step) => {
    await sendStep(pane, step, { signal: options.signal });
    if (probe instanceof StreamProbe) probe.typed();
  };
  for (;;) {
    const waitMs = Math.max(0, deadline - performance.now());
    const outcome = await waitUntil(pane, probe, { ...options, waitMs });
    if (outcome.kind !== "done") return outcome;
    switch (outcome.value) {
      case "completed":
        return { kind: "completed" };
      case "waiting":
        return { kind: "waiting" };
      case "step":
        progress.starts.push(probe.line);
        progress.sent++;
        await send(plan.steps[progress.sent - 1]);
        continue;
      case "retry":
        // The short form did not run (a new REPL): send the long one, once.
        if (progress.fellBack || plan.fallback === undefined) return { kind: "waiting" };
        progress.fellBack = true;
        await send(plan.fallback());
        continue;
      case "prompt_back":
        if (queried || plan.statusQuery === undefined) return { kind: "waiting" };
        queried = true;
        await send({ text: plan.statusQuery, paste: false });
        // The answer comes at once; give it its time even when the budget is spent.
        deadline = Math.max(deadline, performance.now() + QUERY_WAIT_MS);
        continue;
    }
  }
}

/** The parts of a result every outcome shares. */
interface Common {
  runId: string;
  mode?: RunMode;
  durationMs: number;
  outputLost: boolean;
}

function emptyResult(common: Common): RunResult {
  return {
    output: "",
    exitCode: null,
    timedOut: false,
    waitingForInput: false,
    prompt: null,
    truncated: false,
    linesTotal: 0,
    ...common,
  };
}

function refused(runId: string, refusal: { reason: string; program: string }): RunOutcome {
  return {
    kind: "refused",
    ...emptyResult({ runId, durationMs: 0, outputLost: false }),
    exitCode: null,
    timedOut: false,
    reason: refusal.reason,
    program: refusal.program,
  };
}

function gone(runId: string, reason: string): RunOutcome {
  return {
    kind: "pane_gone",
    ...emptyResult({ runId, durationMs: 0, outputLost: false }),
    exitCode: null,
    timedOut: false,
    reason,
  };
}

/** The outcome of a followed run from its reading. */
async function outcomeOf(
  followed: Followed,
  reading: Reading,
  lines: string[],
  common: Common & { maxLines?: number; socketDir?: string; owner: OutputOwner; part?: string },
): Promise<RunOutcome> {
  const bounded = await boundOutput(lines.join("\n"), lines.length, common.maxLines, {
    socketDir: common.socketDir ?? "",
    ...common.owner,
    // Each resume's output gets a file of its own.
    runId: common.part === undefined ? common.runId : `${common.runId}-${common.part}`,
  });
  const result: RunResult = {
    output: bounded.text,
    exitCode: null,
    timedOut: false,
    waitingForInput: false,
    prompt: null,
    truncated: bounded.truncated,
    linesTotal: bounded.linesTotal,
    outputFile: bounded.outputFile,
    runId: common.runId,
    mode: common.mode,
    durationMs: common.durationMs,
    outputLost: common.outputLost,
  };
  switch (followed.kind) {
    case "completed":
      return { ...result, kind: "completed", exitCode: reading.exitCode ?? 0, timedOut: false };
    case "waiting":
      return {
        ...result,
        kind: "waiting_for_input",
        exitCode: null,
        timedOut: false,
        waitingForInput: true,
        prompt: reading.partial,
      };
    case "timed_out":
      return { ...result, kind: "timed_out", exitCode: null, timedOut: true };
    case "pane_gone":
      return {
        ...result,
        kind: "pane_gone",
        reason: followed.reason,
        exitCode: null,
        timedOut: false,
      };
  }
}

/** `target` in tmux's exact form, where it has one (`%N`; `NAME:W.P` as `=NAME:W.P`). */
function exactTarget(target: string): string | undefined {
  if (/^%\d+$/.test(target)) return target;
  return /^[^=:][^:]*:\d+\.\d+$/.test(target) ? `=${target}` : undefined;
}

/**
 * The pane `target` points at (matched exactly), its health, and, where the
 * target has an exact tmux form, its view, all in one tmux call (the view is
 * kept only when tmux's pane is the one matched).
 */
async function locatePane(
  server: Server,
  target: string,
  signal?: AbortSignal,
): Promise<{ health: PaneHealth; pane?: Pane; view?: PaneView }> {
  const exact = exactTarget(target);
  if (exact !== undefined) {
    try {
      const stdout = await server.run(
        ["list-panes", "-a", "-F", PANE_FORMAT, ";", ...viewArgs(exact)],
        { signal },
      );
      const at = viewStart(stdout);
      const panes = parsePanes(at === -1 ? stdout : stdout.slice(0, at));
      const match = findPane(panes, target).pane;
      const pane = match && new Pane(server, match);
      const view = at === -1 ? undefined : parseView(stdout.slice(at));
      return {
        health: healthFromPanes(panes, target),
        pane,
        view: pane && view?.paneId === pane.id ? view : undefined,
      };
    } catch (error) {
      // No such pane for tmux (or no server): the plain look-up says which.
      if (!(error instanceof TmuxCommandError || error instanceof ServerNotRunningError)) {
        throw error;
      }
    }
  }
  return await server.inspect(target, { signal });
}

/** Where a pending run read the pane's log, for {@link PaneTap.reopen} (none: its own file). */
function logOf(
  run: PendingRun,
  socketDir: string,
): { socketDir: string; offset: number } | undefined {
  return run.logOffset === undefined ? undefined : { socketDir, offset: run.logOffset };
}

/**
 * A run left pending in this pane (the pane's `@ctmux-run` names it): when
 * it has ended (or is stale), its pipe is closed and `undefined` returned,
 * so the pane is free; when it still runs, the reason to refuse.
 */
async function settlePending(
  pane: Pane,
  view: PaneView,
  socketDir: string,
  target: string,
): Promise<string | undefined> {
  const run = await loadPending(socketDir, ownerOfPane(pane), view.pendingRun);
  const live = run !== undefined && run.pipeOpen && view.pipe && run.paneId === pane.id &&
    run.serverPid === pane.info.serverPid;
  if (live) {
    const tap = PaneTap.reopen(pane, run.tapFile, logOf(run, socketDir));
    if (tap !== null) {
      const plan = planOf(run.spec);
      const probe = new StreamProbe(tap, plan, run.progress, null);
      probe.test();
      tap.keep();
      const reading = plan.read(probe.seen, run.progress);
      const ended = reading.exitCode !== undefined && run.progress.sent === plan.steps.length;
      if (!ended && !plan.promptBack?.(reading, "unknown")) {
        const last = reading.partial.trim() === ""
          ? ""
          : ` (its last line: ${JSON.stringify(reading.partial)})`;
        return `Pane ${target} is still busy with run ${run.runId}${last}: answer it with ` +
          `safe-send if it waits for input, then collect it with run --resume ${run.runId} ` +
          "(or stop it with safe-send -c C-c)";
      }
    }
  }
  // Ended, interrupted or stale: the pipe is ours to close (not the pane's log's); the files
  // stay for --resume.
  await releasePane(pane, run?.logOffset === undefined);
  if (run?.pipeOpen) {
    await savePending(runsDir(socketDir, ownerOfPane(pane)), { ...run, pipeOpen: false }).catch(
      () => {},
    );
  }
  return undefined;
}

/**
 * Leaves the tap of a run that did not end open for {@link resumeRun}: its
 * file moves to the session's runs folder, the pane's `@ctmux-run` names
 * it, and a state file says how to read it. `false` when that failed (the
 * tap is then closed as usual).
 */
async function keepPending(
  pane: Pane,
  tap: PaneTap,
  run: Omit<PendingRun, "tapFile" | "pipeOpen">,
  socketDir: string,
): Promise<boolean> {
  let dir: string;
  // A reader of the pane's log leaves nothing to move: the log stays, and where it began is kept.
  const log = tap.log !== null;
  try {
    dir = ensureRunsDir(socketDir, ownerOfPane(pane));
    tap.keep(log ? undefined : join(dir, `${run.runId}.out`));
  } catch {
    return false;
  }
  const pending: PendingRun = log
    ? { ...run, tapFile: tap.file, pipeOpen: true, logOffset: tap.startOffset }
    : { ...run, tapFile: join(dir, `${run.runId}.out`), pipeOpen: true };
  try {
    await markPane(pane, run.runId);
    await savePending(dir, pending);
    return true;
  } catch {
    await releasePane(pane, !log);
    await removePending(socketDir, ownerOfPane(pane), pending);
    return false;
  }
}

/**
 * Runs one command in the pane `target` points at and waits for it. The
 * pane decides how (see the module doc): in a shell, returns exactly what
 * the command printed and its exit status; in Python, what the code printed
 * (exit status 1 when an exception reached the top level); in a
 * prompt-driven program, what appeared before its prompt came back. When
 * `waitMs` runs out the command is left running and the output so far is
 * returned (`timed_out`); a program that waits for input ends the wait
 * (`waiting_for_input`); both can be resumed with {@link resumeRun}.
 *
 * @example
 * ```ts ignore
 * const outcome = await runCommand(server, "work:0.0", { command: "echo a; (exit 7)" });
 * if (outcome.kind === "completed") console.log(outcome.output, outcome.exitCode); // "a" 7
 * ```
 * @throws {PaneNotFoundError} the pane (or its session) does not exist.
 * @throws {ServerNotRunningError} no server runs on the socket.
 * @throws {UsageError} an empty command, an unknown mode, an invalid prompt pattern, or a
 * command a POSIX shell can't read from a terminal (a line over 4095 bytes).
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
  if ((options.command === undefined) === (options.args === undefined)) {
    throw new UsageError("give the command either as command or as args");
  }
  if ((options.command ?? options.args!.join(" ")).trim() === "") {
    throw new UsageError("command is required");
  }
  atLeast("maxLines", options.maxLines, 1);
  oneOf("mode", options.mode, RUN_MODES);
  if (options.mode === "prompt" && options.prompt === undefined) {
    throw new UsageError("mode 'prompt' needs a prompt pattern");
  }
  const prompt = options.prompt === undefined ? undefined : promptOf(options.prompt);
  // Compiled now: an invalid pattern is refused before anything is looked at or typed.
  const atPrompt = prompt && promptTest(prompt);
  const located = await locatePane(server, target, signal);
  const { health, pane } = located;
  if (!health.serverRunning) throw new ServerNotRunningError(server.label);
  if (!pane) throw new PaneNotFoundError(target, health.sessionExists);
  const runId = newRunId();
  if (health.status !== "healthy") {
    return gone(runId, health.status === "dead" ? "the pane is dead" : "its process has exited");
  }
  const view = located.view ?? await viewPane(pane, { signal });
  if (view.pendingRun !== "" && options.socketDir !== undefined) {
    const busy = await settlePending(pane, view, options.socketDir, target);
    if (busy !== undefined) {
      return refused(runId, { reason: busy, program: programName(view.program) });
    }
  }
  const watch = new ForegroundWatch(view.tty);
  const decided = await decide(view, target, {
    mode: options.mode,
    prompt: atPrompt,
    type: options.type,
  }, watch);
  if ("reason" in decided) return refused(runId, decided);

  await using tap = options.socketDir === undefined
    ? null
    // The run's output is found by its marks and the echo of what it types, both after this:
    // bytes the pane printed just before need not be waited for.
    : await PaneTap.open(pane, options.socketDir, { settle: false, startLog: options.startLog });
  const command = options.command ??
    (decided.mode === "shell" ? commandOfArgs(options.args!) : options.args!.join(" "));
  const spec: PlanSpec = {
    mode: decided.mode,
    id: runId,
    command,
    dialect: decided.dialect,
    prompt,
    tapped: tap !== null,
    promptWidth: view.cursorX,
    promptLine: view.promptLine,
    redraws: view.cursorKeys,
  };
  const plan = planOf(spec);
  const progress: Progress = { sent: 1, starts: [0] };

  const started = performance.now();
  const anchor = await sendStep(pane, plan.steps[0], {
    signal,
    before: tap ? tap.startArgs() : [],
  });
  const probe = tap
    ? new StreamProbe(tap, plan, progress, watch)
    : new GridProbe(anchor, plan, progress);
  const followed: Followed = probe instanceof StreamProbe && endedAtOnce(probe)
    ? { kind: "completed" }
    : await follow(pane, plan, progress, probe, {
      waitMs: options.waitMs ?? 30_000,
      signal,
      label: "the pane",
    });
  const durationMs = Math.round(performance.now() - started);
  const reading = plan.read(probe.seen, progress);
  if (tap && (followed.kind === "waiting" || followed.kind === "timed_out")) {
    await keepPending(pane, tap, {
      runId,
      paneId: pane.id,
      serverPid: pane.info.serverPid,
      spec,
      progress,
      returned: completeLines(reading),
      tty: view.tty,
    }, options.socketDir!);
  } else {
    // A connected server closes the pipe with a command its client runs in order: no wait.
    tap?.closeVia((args) => server.send(args));
  }
  return await outcomeOf(followed, reading, reading.output, {
    runId,
    mode: decided.mode,
    durationMs,
    outputLost: probe instanceof GridProbe && probe.lost,
    maxLines: options.maxLines,
    socketDir: options.socketDir,
    owner: ownerOfPane(pane),
  });
}

/**
 * Waits again for a run that did not end (it timed out, or waited for
 * input), in the same pane, and returns the output it had not returned yet
 * and how it ended. Once it has ended, its tap is closed and its files are
 * removed (a second resume then finds no such run).
 *
 * @throws {UsageError} no such run in this pane (unknown id, already collected, or its
 * session was killed or cleaned up).
 * @throws {PaneNotFoundError} the pane (or its session) does not exist.
 * @throws {ServerNotRunningError} no server runs on the socket.
 * @throws the signal's reason when `signal` aborts.
 */
export async function resumeRun(
  server: Server,
  target: string,
  options: ResumeOptions,
): Promise<RunOutcome> {
  const { signal, runId } = options;
  signal?.throwIfAborted();
  atLeast("maxLines", options.maxLines, 1);
  if (!RUN_ID.test(runId)) throw new UsageError(`Invalid run id: ${JSON.stringify(runId)}`);
  const { health, pane } = await server.inspect(target, { signal });
  if (!health.serverRunning) throw new ServerNotRunningError(server.label);
  if (!pane) throw new PaneNotFoundError(target, health.sessionExists);
  const run = await loadPending(options.socketDir, ownerOfPane(pane), runId);
  if (!run || run.paneId !== pane.id || run.serverPid !== pane.info.serverPid) {
    throw new UsageError(
      `No run ${runId} to resume in pane ${target} (unknown, already collected, or its ` +
        "session was cleaned up)",
    );
  }
  const tap = PaneTap.reopen(pane, run.tapFile, logOf(run, options.socketDir));
  if (tap === null) {
    await removePending(options.socketDir, ownerOfPane(pane), run);
    throw new UsageError(`Run ${runId} can no longer be read (its output file is gone)`);
  }
  const plan = planOf(run.spec);
  const progress = run.progress;
  const started = performance.now();
  const probe = new StreamProbe(tap, plan, progress, new ForegroundWatch(run.tty));
  let followed: Followed;
  try {
    // A run whose pipe is closed has all it will ever have: one look.
    followed = health.status === "healthy" || !run.pipeOpen
      ? await follow(pane, plan, progress, probe, {
        waitMs: run.pipeOpen ? options.waitMs ?? 30_000 : 0,
        signal,
        label: "the pane",
      })
      : { kind: "pane_gone", reason: "the pane is dead" };
  } catch (error) {
    tap.keep();
    throw error;
  }
  const durationMs = Math.round(performance.now() - started);
  const reading = plan.read(probe.seen, progress);
  const ended = followed.kind === "completed" || followed.kind === "pane_gone" ||
    (!run.pipeOpen && followed.kind === "timed_out");
  if (ended) {
    if (run.pipeOpen) {
      await tap.close();
      await releasePane(pane, run.logOffset === undefined);
    } else tap.keep();
    await removePending(options.socketDir, ownerOfPane(pane), run);
  } else {
    tap.keep();
    await savePending(runsDir(options.socketDir, ownerOfPane(pane)), {
      ...run,
      progress,
      returned: completeLines(reading),
    });
  }
  return await outcomeOf(followed, reading, reading.output.slice(run.returned), {
    runId,
    part: `from-line-${run.returned + 1}`,
    mode: run.spec.mode,
    durationMs,
    outputLost: false,
    maxLines: options.maxLines,
    socketDir: options.socketDir,
    owner: ownerOfPane(pane),
  });
}
