/**
 * The library's operations by target: each one turns its options into a
 * pane through a {@link Context}, applies the uniform semantics (a
 * `timeoutMs` deadline, a `waitMs` budget, an `AbortSignal`, validated
 * option values) and calls one core method. The module doc of `mod.ts`
 * states the semantics; the MCP server and `mod.ts` share these functions.
 *
 * @module
 */
import type { CaptureOptions } from "./capture.ts";
import { Context, type Located } from "./context.ts";
import {
  cursorAtEnd,
  cursorNow,
  LogUnavailableError,
  openLog,
  parseCursor,
  readSince as readLog,
  type SinceRead,
} from "./cursor.ts";
import { InvalidDurationError, UsageError } from "./errors.ts";
import { filterSessions, socketDescription, socketFiles } from "./find.ts";
import type { PaneHealth } from "./health.ts";
import type { Pane } from "./pane.ts";
import {
  type CreatedSession,
  createSession as createTmuxSession,
  type KillOutcome,
  killSession as killTmuxSession,
  type SessionKind,
} from "./lifecycle.ts";
import { matcherOf, type PatternOptions } from "./lines.ts";
import { SEND_MODES, type SendMode } from "./pane.ts";
import type { Action } from "./policy.ts";
import { targetSession } from "./panes.ts";
import {
  resumeRun as resumeCommand,
  RUN_MODES,
  runCommand,
  type RunMode,
  type RunOutcome,
} from "./run.ts";
import { safeSend, type SafeSendOutcome } from "./safe_send.ts";
import type { LogStart } from "./tap.ts";
import type { ServerSession } from "./server.ts";
import {
  type CleanupResult,
  cleanupSessions as cleanupRegistry,
  sessionStates,
  type SessionSummary,
  summarizeSession,
} from "./sessions.ts";
import { parseDuration, withDeadline } from "./time.ts";
import type { TargetSpec } from "./target.ts";
import type { Socket } from "./tmux.ts";
import { atLeast, oneOf } from "./validate.ts";
import { waitForNewText, waitForText as waitForLine, type WaitOutcome } from "./wait.ts";
import { type PaneWatch, watchPane as watch } from "./watch.ts";

/** The bounds every operation takes. */
export interface OperationOptions {
  /**
   * A deadline on the whole operation, in milliseconds: past it, the call
   * rejects with an `OperationTimeoutError`.
   */
  timeoutMs?: number;
  /** Aborts the operation: the call rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** The environment, registry and servers to use (default: a new `Context()`). */
  context?: Context;
  /**
   * Progress of a long operation (`run`, `waitForText`, `send` with
   * `waitFor`): each step the core reports, and every second while it waits.
   */
  onProgress?: (progress: OperationProgress) => void;
}

/** A progress report of a long operation. */
export interface OperationProgress {
  /** Milliseconds since the operation started; grows with every report. */
  elapsedMs: number;
  /** The wait budget (`waitMs`), when the operation has one. */
  totalMs?: number;
  /** What the core is doing, for people (absent on the once-a-second reports). */
  message?: string;
}

/** How often a long operation reports progress while it waits. */
const PROGRESS_EVERY_MS = 1000;

/**
 * Runs `fn` with a progress reporter for its core messages, reporting every
 * {@link PROGRESS_EVERY_MS} too, while it runs (nothing without `onProgress`).
 */
async function withProgress<T>(
  options: OperationOptions,
  totalMs: number | undefined,
  fn: (report: ((message: string) => void) | undefined) => Promise<T>,
): Promise<T> {
  const { onProgress } = options;
  if (!onProgress) return await fn(undefined);
  const started = performance.now();
  let last = -1;
  const report = (message?: string) => {
    // Strictly growing, as MCP wants progress values to be.
    last = Math.max(last + 1, Math.round(performance.now() - started));
    onProgress({ elapsedMs: last, totalMs, message });
  };
  const timer = setInterval(() => report(), PROGRESS_EVERY_MS);
  try {
    return await fn(report);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Which pane an operation acts on: `target` with `socket` (a path) or
 * `socketName` as given; else `session`, a registered name; else `target`
 * on tmux's default socket; with none of them, the registry's only session.
 */
export interface TargetOptions extends OperationOptions, TargetSpec {
  /** Update the registered session's `last_active` (default false: look-ups never write). */
  touch?: boolean;
}

/** A pattern: a POSIX extended regex (as `grep -E`), a fixed string with `fixed`, or a RegExp. */
export type Pattern = string | RegExp;

function contextOf(options: OperationOptions): Context {
  return options.context ?? new Context();
}

/** The pane `options` name, as the context's policy allows `action` there. */
function locate(
  options: TargetOptions,
  signal: AbortSignal | undefined,
  action: Action = "read",
  context: Context = contextOf(options),
): Promise<Located> {
  return context.locate(options, { touch: options.touch, action, signal });
}

/** The pane the options name, looked up as {@link locate} does (`Context.pane`). */
async function locatePane(
  options: TargetOptions,
  signal: AbortSignal | undefined,
  action: Action = "read",
  context: Context = contextOf(options),
): Promise<{ pane: Pane; target: string; registered: LogStart }> {
  const { pane, located } = await context.pane(options, {
    touch: options.touch,
    action,
    signal,
  });
  return { pane, target: located.target, registered: context.registered(located) };
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions extends OperationOptions {
  /** Session name; also its registry key. */
  name: string;
  /** `shell` (bash, default), `python` (python3 REPL) or `gdb`. */
  kind?: SessionKind;
  /** Socket path; the toolkit's default socket when omitted. */
  socket?: string;
  /** Window name (default `shell`). */
  window?: string;
  /** Register the session (default true). */
  register?: boolean;
  /** Kill the session when the returned handle is disposed (`await using`). */
  killOnDispose?: boolean;
  /** The folder the session starts in (default: the caller's). */
  cwd?: string;
  /** `gdb` only: the program to debug and its arguments. */
  args?: string[];
}

/**
 * Creates a detached tmux session running a shell, a Python REPL or gdb,
 * registers it, and returns its handle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession } from "@claude-tmux/tools";
 *
 * await using sh = await createSession({ name: "doc-create", killOnDispose: true });
 * assert.equal(sh.target, "doc-create:0.0");
 * ```
 * @throws {SessionExistsError} the name is registered or the session exists.
 * @throws {UsageError} a name tmux would not keep, or an unknown `kind`.
 */
export async function createSession(options: CreateSessionOptions): Promise<Session> {
  oneOf("kind", options.kind, ["shell", "python", "gdb"]);
  const context = contextOf(options);
  const created = await withDeadline("createSession", options, async (signal) => {
    await context.policy?.checkSocket({ path: options.socket ?? context.paths.defaultSocket });
    return await createTmuxSession(context, options, { signal });
  });
  return new Session(context, created, { killOnDispose: options.killOnDispose });
}

/**
 * A handle on a session that exists already (by name, target, or the only one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, openSession } from "@claude-tmux/tools";
 *
 * await using _made = await createSession({ name: "doc-open", killOnDispose: true });
 * const same = await openSession({ session: "doc-open" });
 * assert.equal((await same.health()).status, "healthy");
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function openSession(
  options: TargetOptions & { killOnDispose?: boolean } = {},
): Promise<Session> {
  const context = contextOf(options);
  const located = await withDeadline(
    "openSession",
    options,
    (signal) => context.locate(options, { touch: options.touch, signal }),
  );
  const entryType = located.entry?.type;
  return new Session(context, {
    name: located.name ?? targetSession(located.target),
    socket: located.server.socket.path,
    socketName: located.server.socket.name,
    target: located.target,
    type: typeof entryType === "string" ? entryType : undefined,
    registered: located.name !== undefined,
  }, { killOnDispose: options.killOnDispose });
}

/** What a {@link Session} handle knows of its session. */
export interface SessionInfo {
  /** Registry name (or tmux session name). */
  name: string;
  /** Socket path (undefined: tmux's default socket or `socketName`). */
  socket?: string;
  /** Socket name (`-L`). */
  socketName?: string;
  /** tmux target of its pane. */
  target: string;
  /**
   * The registry's type (`shell`, `python-repl`, `debugger`, ...); undefined
   * for a session that is not registered, whose pane then tells what runs.
   */
  type?: string;
  /** Whether it is registered. */
  registered: boolean;
}

/**
 * A session handle: every operation of the library bound to one pane. With
 * `killOnDispose`, `await using` kills the session (and deregisters it) when
 * the handle goes out of scope.
 */
export class Session implements AsyncDisposable {
  /** Registry name (or tmux session name). */
  readonly name: string;
  /** Socket path. */
  readonly socket?: string;
  /** Socket name (`-L`). */
  readonly socketName?: string;
  /** tmux target of the session's pane. */
  readonly target: string;
  /** The registry's type; undefined when not registered. */
  readonly type?: string;
  /** Whether the session is registered. */
  readonly registered: boolean;
  readonly #context: Context;
  readonly #killOnDispose: boolean;

  /**
   * Wraps a session; use {@link createSession} or {@link openSession}.
   *
   * @param context Where the session lives.
   * @param info The session.
   * @param options Whether disposing kills it.
   */
  constructor(
    context: Context,
    info: SessionInfo | CreatedSession,
    options: { killOnDispose?: boolean } = {},
  ) {
    this.name = info.name;
    this.socket = info.socket;
    this.socketName = "socketName" in info ? info.socketName : undefined;
    this.target = info.target;
    this.type = info.type;
    this.registered = info.registered;
    this.#context = context;
    this.#killOnDispose = options.killOnDispose ?? false;
  }

  #where(): TargetOptions {
    return {
      target: this.target,
      socket: this.socket,
      socketName: this.socket ? undefined : this.socketName,
      context: this.#context,
    };
  }

  /** The pane's health. See {@link paneHealth}. */
  health(options: OperationOptions = {}): Promise<PaneHealth> {
    return paneHealth({ ...options, ...this.#where() });
  }

  /** Sends text safely, optionally waiting for a pattern after it. See {@link send}. */
  send(
    text: string,
    options: Omit<SendOptions, "text" | keyof TargetOptions> & OperationOptions = {},
  ): Promise<SafeSendOutcome> {
    return send({ ...options, ...this.#where(), text });
  }

  /** Presses keys by name (`C-c`, `Enter`, ...). See {@link sendKeys}. */
  sendKeys(keys: string[], options: OperationOptions = {}): Promise<void> {
    return sendKeys({ ...options, ...this.#where(), keys });
  }

  /** Waits for a line matching `pattern`. See {@link waitForText}. */
  waitFor(
    pattern: Pattern,
    options: Omit<WaitForTextOptions, "pattern" | keyof TargetOptions> & OperationOptions = {},
  ): Promise<WaitOutcome> {
    return waitForText({ ...options, ...this.#where(), pattern });
  }

  /** The pane's text. See {@link capture}. */
  capture(options: CaptureOptions & OperationOptions = {}): Promise<string[]> {
    return capture({ ...options, ...this.#where() });
  }

  /** Runs a command and returns its output and exit status. See {@link run}. */
  run(
    command: string,
    options: Omit<RunCommandOptions, "command" | "args" | keyof TargetOptions> & OperationOptions =
      {},
  ): Promise<RunOutcome> {
    return run({ type: this.type, ...options, ...this.#where(), command });
  }

  /** Waits again for a run that did not end. See {@link resumeRun}. */
  resume(
    runId: string,
    options: Omit<ResumeRunOptions, "runId" | keyof TargetOptions> & OperationOptions = {},
  ): Promise<RunOutcome> {
    return resumeRun({ ...options, ...this.#where(), runId });
  }

  /** The pane's output after a cursor, and a cursor for the next read. See {@link readSince}. */
  readSince(since?: string, options: OperationOptions = {}): Promise<SinceRead> {
    return readSince({ ...options, ...this.#where(), since });
  }

  /** Starts watching the pane's output. See {@link watchPane}. */
  watch(options: OperationOptions = {}): Promise<PaneWatch> {
    return watchPane({ ...options, ...this.#where() });
  }

  /** Kills the session and removes its registry entry. See {@link killSession}. */
  kill(options: OperationOptions = {}): Promise<KillOutcome> {
    return killSession({ ...options, ...this.#where(), name: this.name });
  }

  /** Kills the session if the handle was made with `killOnDispose`. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#killOnDispose) await this.kill();
  }
}

/**
 * Every registered session with its status, in name order; one tmux call
 * per socket. With `programs`, also each pane's foreground program and
 * whether it is `busy` or `idle` (`program`, `activity`; same one call).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, listSessions } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-list", killOnDispose: true });
 * const sessions = await listSessions();
 * assert.deepEqual(sessions.map((s) => [s.name, s.status]), [["doc-list", "alive"]]);
 * ```
 * @throws {RegistryInvalidError} the registry can't be used.
 */
export async function listSessions(
  options: OperationOptions & { programs?: boolean } = {},
): Promise<SessionSummary[]> {
  const context = contextOf(options);
  return await withDeadline("listSessions", options, async (signal) => {
    const data = await context.registry.read();
    signal?.throwIfAborted();
    const states = await sessionStates(data, (path) => context.server({ path }), {
      signal,
      programs: options.programs,
    });
    return states.map(summarizeSession);
  });
}

/**
 * A pane's health: `healthy`, `dead`, `missing`, `zombie` or `server_not_running`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, paneHealth } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-health", killOnDispose: true });
 * assert.equal((await paneHealth({ session: "doc-health" })).status, "healthy");
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function paneHealth(options: TargetOptions = {}): Promise<PaneHealth> {
  return await withDeadline("paneHealth", options, async (signal) => {
    const { server, target } = await locate(options, signal);
    return await server.health(target, { signal });
  });
}

/** Options of {@link sendKeys}. */
export interface SendKeysOptions extends TargetOptions {
  /** tmux key names or text (`C-c`, `Enter`, `Escape`, `ls`). No Enter is added. */
  keys: string[];
}

/**
 * Presses tmux keys as they are (no Enter added).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capture, createSession, sendKeys, waitForText } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-keys", killOnDispose: true });
 * await sendKeys({ session: "doc-keys", keys: ["echo typed", "Enter"] });
 * const seen = await waitForText({ session: "doc-keys", pattern: "^typed$", waitMs: 10_000 });
 * assert.equal(seen.kind, "matched");
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function sendKeys(options: SendKeysOptions): Promise<void> {
  await withDeadline("sendKeys", options, async (signal) => {
    const { pane } = await locatePane(options, signal, "write");
    await pane.sendKeys(options.keys, { signal });
  });
}

/** Options of {@link send}. */
export interface SendOptions extends TargetOptions, PatternOptions {
  /** The text. */
  text: string;
  /**
   * `keys` (default: key names work, then Enter), `literal` (no Enter),
   * `paste` (a block) or `press` (`text` is tmux key names separated by
   * blanks, such as `"Space"` or `"Escape : q Enter"`; an unknown name is a
   * `UsageError`; no Enter is added).
   */
  mode?: SendMode;
  /** Wait for a line matching this in the output after the send. */
  waitFor?: Pattern;
  /** A line of the output after the send matching this first ends the wait: `failed`. */
  failOn?: Pattern;
  /**
   * Also wait until the pane has printed nothing for this many milliseconds
   * (after `waitFor` matched; without `waitFor`, a wait for quiet: `quiet`).
   */
  idleMs?: number;
  /** How long to wait for `waitFor`, in milliseconds (default 30000): then `timed_out`. */
  waitMs?: number;
  /** Send attempts per tmux call (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  backoffMs?: number;
  /** Return the output between the send and the end of the wait (`output`). */
  output?: boolean;
  /**
   * In `keys` mode, press Enter once more when the typed text is still on
   * the input line 400 ms after the send (default true).
   */
  confirmEnter?: boolean;
  /**
   * Return a read cursor (`cursor`, for {@link readSince}): at the end of
   * `output` with `output`, else at the send.
   */
  cursor?: boolean;
}

/**
 * Sends text to a healthy pane (after a health check, with retries) and,
 * with `waitFor`, waits up to `waitMs` for a matching line in the output
 * that appears after the send.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, send } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-send", killOnDispose: true });
 * const outcome = await send({ session: "doc-send", text: "echo ready", waitFor: "^ready$" });
 * assert.deepEqual([outcome.kind, "line" in outcome && outcome.line], ["matched", "ready"]);
 * ```
 * @throws {SendFailedError} a send failed on every attempt.
 * @throws {UsageError} an unknown `mode`.
 */
export async function send(options: SendOptions): Promise<SafeSendOutcome> {
  const mode = oneOf("mode", options.mode, SEND_MODES);
  atLeast("waitMs", options.waitMs);
  atLeast("idleMs", options.idleMs);
  atLeast("attempts", options.attempts, 1);
  const matcher = options.waitFor === undefined ? undefined : matcherOf(options.waitFor, options);
  const totalMs = matcher ? options.waitMs ?? 30_000 : undefined;
  const context = contextOf(options);
  return await withDeadline("send", options, async (signal) => {
    const located = await locate(options, signal, "write", context);
    const { server, target } = located;
    return await withProgress(options, totalMs, (onProgress) =>
      safeSend(server, target, {
        socketDir: context.paths.socketDir,
        startLog: context.registered(located),
        text: options.text,
        mode,
        matcher,
        fail: options.failOn === undefined ? undefined : matcherOf(options.failOn, options),
        idleMs: options.idleMs,
        output: options.output,
        cursor: options.cursor,
        confirmEnter: options.confirmEnter,
        waitMs: totalMs,
        attempts: options.attempts,
        backoffMs: options.backoffMs,
        signal,
        onProgress,
      }));
  });
}

/** Options of {@link waitForText}. */
export interface WaitForTextOptions extends TargetOptions, PatternOptions {
  /** What to look for, line by line (required unless `idleMs` is given). */
  pattern?: Pattern;
  /** A line matching this before one matches `pattern` ends the wait at once: `failed`. */
  failOn?: Pattern;
  /**
   * Also wait until the pane has printed nothing for this many milliseconds
   * (after `pattern` matched; without `pattern`, a wait for quiet: `quiet`).
   */
  idleMs?: number;
  /**
   * Only output that appears after the call starts counts (text already on
   * screen, such as a typed command line, never matches).
   */
  newOutput?: boolean;
  /** How long to wait, in milliseconds (default 15000): then the outcome is `timed_out`. */
  waitMs?: number;
  /** Lines of history above the screen to search (default 1000); not used with `newOutput`. */
  lines?: number;
  /** Also return a read cursor (`cursor`, for {@link readSince}) taken as the wait begins. */
  cursor?: boolean;
}

/**
 * Waits until a line of the pane (the last `lines` lines plus the screen,
 * wrapped lines joined) matches, reacting to output as it arrives. A wait
 * that runs out of `waitMs` or whose pane goes away is an outcome
 * (`timed_out`, `pane_gone`), not an exception.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, waitForText } from "@claude-tmux/tools";
 *
 * await using _py = await createSession({ name: "doc-wait", kind: "python", killOnDispose: true });
 * const outcome = await waitForText({ session: "doc-wait", pattern: "^>>>", waitMs: 10_000 });
 * assert.equal(outcome.kind, "matched");
 * ```
 * @throws {PaneNotFoundError} the pane does not exist when the wait starts.
 */
export async function waitForText(
  options: WaitForTextOptions,
): Promise<WaitOutcome & { cursor?: string | null }> {
  atLeast("waitMs", options.waitMs);
  atLeast("lines", options.lines);
  atLeast("idleMs", options.idleMs);
  const context = contextOf(options);
  const wait = {
    matcher: options.pattern === undefined ? undefined : matcherOf(options.pattern, options),
    fail: options.failOn === undefined ? undefined : matcherOf(options.failOn, options),
    idleMs: options.idleMs,
    waitMs: options.waitMs ?? 15_000,
  };
  if (wait.matcher === undefined && wait.idleMs === undefined) {
    throw new UsageError("waitForText needs a pattern or idleMs");
  }
  return await withDeadline("waitForText", options, async (signal) => {
    const { pane, target, registered } = await locatePane(options, signal, "read", context);
    const label = `pane ${target}`;
    const { socketDir } = context.paths;
    const cursor = options.cursor ? { cursor: await cursorNow(pane, socketDir) } : {};
    const outcome = await withProgress(
      options,
      wait.waitMs,
      (onProgress) =>
        options.newOutput
          ? waitForNewText(pane, {
            ...wait,
            signal,
            label,
            socketDir,
            startLog: registered,
            onProgress,
          })
          : waitForLine(pane, { ...wait, history: options.lines, signal, label, onProgress }),
    );
    return { ...outcome, ...cursor };
  });
}

/** Options of {@link readSince}. */
export interface ReadSinceOptions extends TargetOptions {
  /**
   * A cursor from an earlier call (`cursor` of `readSince`, `send`,
   * `waitForText` or `run`); without it, nothing is read and the cursor
   * returned marks the pane's output now.
   */
  since?: string;
}

/**
 * The pane's output after a cursor, as lines (rendered as a terminal shows
 * them), and a cursor for the next read. The cursor is a place in the
 * pane's persistent output log (started by the first call that asks for a
 * cursor), so it survives history trimming; `linesLost` says how many lines
 * after it the log no longer keeps (`null`: the log was restarted since).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, readSince, run } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-since", killOnDispose: true });
 * const { cursor } = await readSince({ session: "doc-since" });
 * await run({ session: "doc-since", command: "echo since-$((6*7))" });
 * const read = await readSince({ session: "doc-since", since: cursor });
 * assert.ok(read.lines.includes("since-42"));
 * ```
 * @throws {UsageError} `since` is not a cursor, or is another pane's.
 * @throws {LogUnavailableError} the pane's output is piped elsewhere.
 */
export async function readSince(options: ReadSinceOptions = {}): Promise<SinceRead> {
  const context = contextOf(options);
  if (options.since !== undefined) parseCursor(options.since);
  return await withDeadline("readSince", options, async (signal) => {
    const { pane } = await locatePane(options, signal, "read", context);
    const { socketDir } = context.paths;
    if (options.since !== undefined) return await readLog(pane, socketDir, options.since);
    const cursor = await cursorNow(pane, socketDir);
    if (cursor === null) throw new LogUnavailableError(pane.id);
    return { lines: [], cursor, linesLost: 0 };
  });
}

/**
 * The pane's text as lines: the visible screen by default, or with
 * `history` lines above it (`"all"`: the whole history); `join` joins
 * wrapped lines; `escapes` keeps colours. Trailing blank lines are dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capture, createSession, run } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-capture", killOnDispose: true });
 * await run({ session: "doc-capture", command: "echo captured-$((6*7))" });
 * const lines = await capture({ session: "doc-capture", history: 100, join: true });
 * assert.ok(lines.includes("captured-42"));
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function capture(options: TargetOptions & CaptureOptions = {}): Promise<string[]> {
  return await withDeadline("capture", options, async (signal) => {
    const { pane } = await locatePane(options, signal);
    return await pane.capture({
      trimTrailingBlank: true,
      history: options.history,
      start: options.start,
      end: options.end,
      join: options.join,
      escapes: options.escapes,
      last: options.last,
    }, { signal });
  });
}

/** Options of {@link run}. */
export interface RunCommandOptions extends TargetOptions {
  /**
   * A shell command line, Python code, or input for pdb, gdb, lldb, node or
   * a `prompt`-driven program (one input per line). Give this or `args`.
   */
  command?: string;
  /**
   * The command as arguments: in a shell each one is passed as it is
   * (quoted one by one, as `exec` would); elsewhere joined with spaces.
   */
  args?: string[];
  /**
   * The session type (`shell`, `python-repl`, `debugger`): only a hint; what
   * runs in the pane decides. Read from the registry when omitted.
   */
  type?: string;
  /**
   * Run in this mode (`shell`, `python`, `pdb`, `gdb`, `lldb`, `node`) when
   * the pane's program is not known by name (ssh, a wrapper); the pane must
   * still be at the mode's prompt.
   */
  mode?: RunMode;
  /**
   * Drive another prompt-based program (sqlite3, psql, a custom CLI): the
   * pattern matches the line it waits at (a `grep -E` string, or a RegExp).
   */
  prompt?: Pattern;
  /** How long to wait for the command, in milliseconds (default 30000): then `timed_out`. */
  waitMs?: number;
  /**
   * Return at most this many lines: the first and the last ones, with one
   * line between them saying how many were left out and which private file
   * holds the whole output (`outputFile`).
   */
  maxLines?: number;
  /** Also return a read cursor (`cursor`, for {@link readSince}) at the end of the run. */
  cursor?: boolean;
}

/**
 * Runs one command and returns what it printed and how it ended; the
 * program running in the pane decides how. In a shell: exactly the
 * command's output and its exit status. In Python: what the code printed,
 * run as a file would be (exit code 1 when an exception reached the top
 * level). In pdb, gdb, lldb, node or with `prompt`: what appeared before the
 * prompt came back. Every line comes back, however much the command prints
 * (the pane's output is tapped for the run); `maxLines` bounds what is
 * returned. A pane in a full-screen program, busy, or running a program run
 * does not drive is `refused` and nothing is typed. A program that waits for
 * input ends the wait as `waiting_for_input` (with its `prompt`); after
 * `waitMs` (default 30 s) the outcome is `timed_out` with the output so far
 * and the command keeps running: {@link resumeRun} collects either later.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, run } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-run", killOnDispose: true });
 * const result = await run({ session: "doc-run", command: "echo a; echo b; (exit 7)" });
 * assert.deepEqual([result.output, result.exitCode], ["a\nb", 7]);
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 * @throws {UsageError} neither or both of `command` and `args`, an unknown `mode`, an
 * invalid `prompt`.
 */
export async function run(
  options: RunCommandOptions,
): Promise<RunOutcome & { cursor?: string | null }> {
  atLeast("waitMs", options.waitMs);
  atLeast("maxLines", options.maxLines, 1);
  oneOf("mode", options.mode, RUN_MODES);
  const waitMs = options.waitMs ?? 30_000;
  const context = contextOf(options);
  return await withDeadline("run", options, async (signal) => {
    const located = await locate(options, signal, "write", context);
    const { server, target, entry } = located;
    const entryType = entry?.type;
    const { socketDir } = context.paths;
    const log = options.cursor ? await openLog(server, target, socketDir) : null;
    const outcome = await withProgress(options, waitMs, () =>
      runCommand(server, target, {
        command: options.command,
        args: options.args,
        type: options.type ?? (typeof entryType === "string" ? entryType : undefined),
        mode: options.mode,
        prompt: options.prompt,
        waitMs,
        maxLines: options.maxLines,
        socketDir,
        startLog: context.registered(located),
        signal,
      }));
    return options.cursor ? { ...outcome, cursor: cursorAtEnd(log) } : outcome;
  });
}

/** Options of {@link resumeRun}. */
export interface ResumeRunOptions extends TargetOptions {
  /** The run's id (`runId` of the outcome that timed out or waited for input). */
  runId: string;
  /** How long to wait, in milliseconds (default 30000): then `timed_out` again. */
  waitMs?: number;
  /** As in {@link RunCommandOptions.maxLines}. */
  maxLines?: number;
}

/**
 * Waits again for a run that timed out or waited for input (in the same
 * pane) and returns the output it had not returned yet and how it ended.
 * Once it has ended its files are removed: a second resume is a
 * `UsageError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, resumeRun, run, send } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-resume", killOnDispose: true });
 * const asked = await run({ session: "doc-resume", command: 'read -p "Name? " n; echo "hi $n"' });
 * assert.deepEqual([asked.kind, asked.prompt], ["waiting_for_input", "Name? "]);
 * await send({ session: "doc-resume", text: "Ada" });
 * const done = await resumeRun({ session: "doc-resume", runId: asked.runId });
 * assert.deepEqual([done.kind, done.output], ["completed", "Name? Ada\nhi Ada"]);
 * ```
 * @throws {UsageError} no such run in that pane.
 */
export async function resumeRun(options: ResumeRunOptions): Promise<RunOutcome> {
  atLeast("waitMs", options.waitMs);
  atLeast("maxLines", options.maxLines, 1);
  const context = contextOf(options);
  const waitMs = options.waitMs ?? 30_000;
  return await withDeadline("resumeRun", options, async (signal) => {
    const { server, target } = await locate(options, signal, "write", context);
    return await withProgress(options, waitMs, () =>
      resumeCommand(server, target, {
        runId: options.runId,
        waitMs,
        maxLines: options.maxLines,
        socketDir: context.paths.socketDir,
        signal,
      }));
  });
}

/**
 * Kills a session and removes its registry entry (only the entry on that
 * socket). Each step is tried whatever the other did; the outcome says which
 * happened.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, killSession } from "@claude-tmux/tools";
 *
 * await createSession({ name: "doc-kill" });
 * const outcome = await killSession({ session: "doc-kill" });
 * assert.deepEqual([outcome.killed, outcome.deregistered], [true, true]);
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function killSession(
  options: TargetOptions & { name?: string },
): Promise<KillOutcome> {
  const context = contextOf(options);
  return await withDeadline("killSession", options, async (signal) => {
    const located = await context.locate(options, { action: "kill", signal });
    const session = targetSession(located.target);
    return await killTmuxSession(context.registry, {
      name: options.name ?? located.name ?? session,
      session,
      server: located.server,
      socketDir: context.paths.socketDir,
    }, { signal });
  });
}

/** Options of {@link cleanupSessions}. */
export interface CleanupOptions extends OperationOptions {
  /** Remove every entry. */
  all?: boolean;
  /** Also remove entries created longer ago than this (`30s`, `30m`, `2h`, `1d`). */
  olderThan?: string;
  /** Only report what would be removed. */
  dryRun?: boolean;
}

/**
 * Removes registry entries (never tmux sessions): those whose pane is not
 * healthy, those older than `olderThan`, or all of them. Deciding and
 * removing happen under one lock.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanupSessions, createSession } from "@claude-tmux/tools";
 *
 * const gone = await createSession({ name: "doc-gone" });
 * await gone.sendKeys(["exit", "Enter"]); // its shell ends; the entry stays
 * while ((await gone.health()).status === "healthy") await new Promise((r) => setTimeout(r, 20));
 * const preview = await cleanupSessions({ dryRun: true });
 * assert.deepEqual(preview.items, [{ name: "doc-gone", reason: "dead/missing/zombie" }]);
 * const done = await cleanupSessions();
 * assert.deepEqual(done.items.map((item) => item.name), ["doc-gone"]);
 * ```
 * @throws {InvalidDurationError} `olderThan` is not like `30m`.
 */
export async function cleanupSessions(options: CleanupOptions = {}): Promise<CleanupResult> {
  const olderThan = options.olderThan ?? "0s";
  const seconds = parseDuration(olderThan);
  if (seconds === undefined) throw new InvalidDurationError(olderThan);
  const context = contextOf(options);
  return await withDeadline(
    "cleanupSessions",
    options,
    (signal) =>
      cleanupRegistry(context.registry, (path) => context.server({ path }), {
        all: options.all ?? false,
        olderThanSeconds: seconds,
        olderThanLabel: olderThan,
        nowEpoch: Math.floor(Date.now() / 1000),
      }, { dryRun: options.dryRun, signal, socketDir: context.paths.socketDir }),
  );
}

/** Options of {@link findSessions}. */
export interface FindSessionsOptions extends OperationOptions {
  /** A socket path (`-S`). */
  socket?: string;
  /** A socket name (`-L`). */
  socketName?: string;
  /** Every socket in the toolkit's socket directory. */
  all?: boolean;
  /** Keep sessions whose line contains this, ignoring case. */
  query?: string;
}

/** The sessions of one tmux server. */
export interface ServerSessions {
  /** The server's socket. */
  socket: Socket;
  /** `default socket`, `socket name 'N'` or `socket path 'P'`. */
  label: string;
  /** Whether a server answered there. */
  running: boolean;
  /** Its sessions (registered or not), filtered by `query`. */
  sessions: ServerSession[];
}

/**
 * Lists tmux sessions, registered or not, on one socket (default: tmux's
 * default socket) or on every socket in the context's socket directory (`all`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, findSessions } from "@claude-tmux/tools";
 *
 * await using s = await createSession({ name: "doc-find", killOnDispose: true });
 * const [server] = await findSessions({ socket: s.socket, query: "doc-" });
 * assert.deepEqual(server.sessions.map((x) => x.name), ["doc-find"]);
 * ```
 * @throws {TmuxToolError} `all` with no socket directory or no sockets in it.
 */
export async function findSessions(options: FindSessionsOptions = {}): Promise<ServerSessions[]> {
  const context = contextOf(options);
  return await withDeadline("findSessions", options, async (signal) => {
    const sockets: Socket[] = options.all
      ? (await socketFiles(context.paths.socketDir)).map((path) => ({ path }))
      : [
        options.socket
          ? { path: options.socket }
          : options.socketName
          ? { name: options.socketName }
          : {},
      ];
    if (!options.all) await context.policy?.checkSocket(sockets[0]);
    return await Promise.all(sockets.map(async (socket) => {
      const sessions = await context.server(socket).sessions({ signal });
      return {
        socket,
        label: socketDescription(socket),
        running: sessions !== null,
        sessions: filterSessions(sessions ?? [], options.query ?? ""),
      };
    }));
  });
}

/**
 * Starts watching a pane's output: resolves once attached (a read-only
 * control-mode client), so nothing written after that is missed. Iterate
 * the result with `for await`; it ends when the session goes away, `signal`
 * aborts, or it is disposed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession, sendKeys, watchPane } from "@claude-tmux/tools";
 *
 * await using _s = await createSession({ name: "doc-watch", killOnDispose: true });
 * await using watch = await watchPane({ session: "doc-watch" });
 * await sendKeys({ session: "doc-watch", keys: ["echo hi-$((1+1))", "Enter"] });
 * let seen = "";
 * for await (const chunk of watch) if ((seen += chunk).includes("hi-2")) break;
 * assert.ok(seen.includes("hi-2"));
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function watchPane(options: TargetOptions = {}): Promise<PaneWatch> {
  return await withDeadline("watchPane", options, async (signal) => {
    const { pane } = await locatePane(options, signal);
    return await watch(pane, { signal: options.signal });
  });
}
