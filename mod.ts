/**
 * Drive tmux from programs: start shells, Python REPLs and debuggers in tmux
 * sessions, send them input safely, wait for their output, run commands and
 * get their output and exit status, check their health and clean them up.
 * Sessions are kept in a JSON registry shared with the original bash tools.
 *
 * Every operation takes an options object with `timeoutMs` and `signal`,
 * returns typed results and throws the typed errors exported here.
 *
 * @example Run a calculation in a Python REPL
 * ```ts
 * import { createSession } from "./mod.ts";
 *
 * await using py = await createSession({ name: "doc-calc", kind: "python", killOnDispose: true });
 * await py.waitFor(">>>", { timeoutMs: 10_000 });
 * const result = await py.run("print(6 * 7)");
 * console.log(result.output); // "42"
 * ```
 *
 * @module
 */
import { resolvePaths } from "./lib/env.ts";
import { InvalidDurationError } from "./lib/errors.ts";
import { type PaneHealth, paneHealth as checkHealth } from "./lib/health.ts";
import {
  type CreatedSession,
  createSession as create,
  type KillOutcome,
  killSession as kill,
  type SessionKind,
} from "./lib/lifecycle.ts";
import { type CaptureOptions, capturePane } from "./lib/capture.ts";
import {
  filterSessions,
  findSessions as listServerSessions,
  type FoundSession,
  socketDescription,
  socketFiles,
} from "./lib/find.ts";
import { locatePane, type PaneInfo, targetSession } from "./lib/panes.ts";
import { Registry } from "./lib/registry.ts";
import { safeSend as send, type SafeSendOutcome } from "./lib/safe_send.ts";
import { sendKeyNames, type SendMode } from "./lib/send.ts";
import {
  type CleanupResult,
  cleanupSessions as cleanup,
  sessionStates,
  type SessionSummary,
  summarizeSession,
} from "./lib/sessions.ts";
import { runCommand, type RunOutcome } from "./lib/run.ts";
import { type ResolvedTarget, resolveTarget } from "./lib/target.ts";
import { nowEpochSeconds } from "./lib/env.ts";
import { parseDuration, withDeadline } from "./lib/time.ts";
import type { Socket } from "./lib/tmux.ts";
import {
  compilePattern,
  type LineMatcher,
  waitForText as wait,
  type WaitOutcome,
} from "./lib/wait.ts";
import { type PaneWatch, watchPane as watch } from "./lib/watch.ts";

export * from "./lib/errors.ts";
export { Registry } from "./lib/registry.ts";
export type {
  RegistryData,
  RegistryOptions,
  SessionEntry,
  SessionFields,
  SessionType,
  UsableEntry,
} from "./lib/registry.ts";
export type { CaptureOptions } from "./lib/capture.ts";
export type { CreatedSession, KillOutcome, KillStatus, SessionKind } from "./lib/lifecycle.ts";
export type { FoundSession } from "./lib/find.ts";
export type { HealthStatus, PaneHealth } from "./lib/health.ts";
export type { SafeSendOutcome } from "./lib/safe_send.ts";
export type { RunOutcome, RunResult } from "./lib/run.ts";
export type { SendMode } from "./lib/send.ts";
export type { CleanupItem, CleanupResult, SessionStatus, SessionSummary } from "./lib/sessions.ts";
export type { Socket } from "./lib/tmux.ts";
export type { LineMatcher, WaitOutcome } from "./lib/wait.ts";
export { ENV_VARS } from "./lib/env.ts";
export type { Env, EnvVar, Paths } from "./lib/env.ts";
export type { PaneWatch } from "./lib/watch.ts";

/** Bounds every operation takes. */
export interface OperationOptions {
  /** Give up after this many milliseconds. */
  timeoutMs?: number;
  /** Abort the operation. */
  signal?: AbortSignal;
}

/** Which registry to use (default: the one the environment selects). */
export interface RegistryOption {
  /** The registry; `new Registry()` when omitted. */
  registry?: Registry;
}

/**
 * Which pane an operation acts on, in the bash tools' order: `target` with
 * `socket` (a path) or `socketName`; else `session` (a registered name; a
 * lone `target` beside it is ignored); else `target` on tmux's default
 * socket; with none of them, the registry's only session.
 */
export interface TargetOptions extends OperationOptions, RegistryOption {
  /** A registered session name. */
  session?: string;
  /** A tmux target (`name`, `name:window.pane`, `%id`); matched exactly. */
  target?: string;
  /** The socket path of `target`. */
  socket?: string;
  /** The socket name (`-L`) of `target`. */
  socketName?: string;
}

/** A pattern: a POSIX extended regex (as `grep -E`), a fixed string with `fixed`, or a RegExp. */
export type Pattern = string | RegExp;

/** How a pattern is read. */
export interface PatternOptions {
  /** Match `pattern` as a fixed string. */
  fixed?: boolean;
}

function matcherOf(pattern: Pattern, options: PatternOptions = {}): LineMatcher {
  if (pattern instanceof RegExp) {
    const regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
    return (line) => regex.test(line);
  }
  return compilePattern(pattern, { fixed: options.fixed });
}

async function resolve(options: TargetOptions): Promise<ResolvedTarget> {
  return await resolveTarget(
    {
      session: options.session,
      target: options.target,
      socket: options.socket,
      socketName: options.socketName,
    },
    options.registry ?? new Registry(),
  );
}

/** Options of {@link createSession}. */
export interface CreateSessionOptions extends OperationOptions, RegistryOption {
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
}

/**
 * Creates a detached tmux session and registers it; returns its handle.
 *
 * @example
 * ```ts
 * import { createSession } from "./mod.ts";
 *
 * await using sh = await createSession({ name: "doc-create", killOnDispose: true });
 * console.log(sh.target); // "doc-create:0.0"
 * ```
 * @throws {SessionExistsError} the name is registered or the session exists.
 * @throws {UsageError} a name tmux would not keep.
 */
export async function createSession(options: CreateSessionOptions): Promise<Session> {
  const registry = options.registry ?? new Registry();
  const created = await withDeadline(
    "createSession",
    options,
    (signal) => create(registry, options, { signal }),
  );
  return new Session(created, { registry, killOnDispose: options.killOnDispose });
}

/**
 * A handle on a session that exists already (by name, target, or the only one).
 *
 * @example
 * ```ts
 * import { createSession, openSession } from "./mod.ts";
 *
 * await using _made = await createSession({ name: "doc-open", killOnDispose: true });
 * const same = await openSession({ session: "doc-open" });
 * console.log((await same.health()).status); // "healthy"
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function openSession(
  options: TargetOptions & { killOnDispose?: boolean } = {},
): Promise<Session> {
  const registry = options.registry ?? new Registry();
  const resolved = await resolve({ ...options, registry });
  return new Session({
    name: resolved.name ?? targetSession(resolved.target),
    socket: resolved.socket.path,
    socketName: resolved.socket.name,
    target: resolved.target,
    type: typeof resolved.entry?.type === "string" ? resolved.entry.type : "shell",
    registered: resolved.name !== undefined,
  }, { registry, killOnDispose: options.killOnDispose });
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
  /** Session type (`shell`, `python-repl`, `debugger`, ...). */
  type: string;
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
  /** tmux target of its pane. */
  readonly target: string;
  /** Session type. */
  readonly type: string;
  readonly #registry: Registry;
  readonly #killOnDispose: boolean;

  /**
   * Wraps a session; prefer {@link createSession} and {@link openSession}.
   *
   * @param info The session.
   * @param options The registry it is kept in, and whether disposing kills it.
   */
  constructor(
    info: SessionInfo | CreatedSession,
    options: { registry?: Registry; killOnDispose?: boolean } = {},
  ) {
    this.name = info.name;
    this.socket = info.socket;
    this.socketName = "socketName" in info ? info.socketName : undefined;
    this.target = info.target;
    this.type = info.type;
    this.#registry = options.registry ?? new Registry();
    this.#killOnDispose = options.killOnDispose ?? false;
  }

  #where(): TargetOptions {
    return {
      target: this.target,
      socket: this.socket,
      socketName: this.socket ? undefined : this.socketName,
      registry: this.#registry,
    };
  }

  /** The pane's health. See {@link paneHealth}. */
  health(options: OperationOptions = {}): Promise<PaneHealth> {
    return paneHealth({ ...options, ...this.#where() });
  }

  /** Sends text safely, optionally waiting for a pattern after it. See {@link safeSend}. */
  send(
    text: string,
    options: Omit<SafeSendOptions, "text" | keyof TargetOptions> & OperationOptions = {},
  ): Promise<SafeSendOutcome> {
    return safeSend({ ...options, ...this.#where(), text });
  }

  /** Sends key names (`C-c`, `Enter`, ...). See {@link sendKeys}. */
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
  run(command: string, options: OperationOptions = {}): Promise<RunOutcome> {
    return run({ ...options, ...this.#where(), command, type: this.type });
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
 * per socket.
 *
 * @example
 * ```ts
 * import { listSessions } from "./mod.ts";
 *
 * for (const s of await listSessions()) console.log(s.name, s.status);
 * ```
 * @throws {RegistryInvalidError} the registry can't be used.
 */
export async function listSessions(
  options: OperationOptions & RegistryOption = {},
): Promise<SessionSummary[]> {
  const registry = options.registry ?? new Registry();
  return await withDeadline("listSessions", options, async (signal) => {
    const states = await sessionStates(await registry.read(), { signal });
    return states.map(summarizeSession);
  });
}

/**
 * A pane's health: `healthy`, `dead`, `missing`, `zombie` or `server_not_running`.
 *
 * @example
 * ```ts
 * import { createSession, paneHealth } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-health", killOnDispose: true });
 * console.log((await paneHealth({ session: "doc-health" })).status); // "healthy"
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function paneHealth(options: TargetOptions = {}): Promise<PaneHealth> {
  return await withDeadline("paneHealth", options, async (signal) => {
    const { socket, target } = await resolve(options);
    return await checkHealth(socket, target, { signal });
  });
}

/** Options of {@link sendKeys}. */
export interface SendKeysOptions extends TargetOptions {
  /** tmux key names or text (`C-c`, `Enter`, `Escape`, `ls`). No Enter is added. */
  keys: string[];
}

/**
 * Sends tmux keys as they are (no Enter added).
 *
 * @example
 * ```ts
 * import { createSession, sendKeys } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-keys", killOnDispose: true });
 * await sendKeys({ session: "doc-keys", keys: ["C-c"] });
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function sendKeys(options: SendKeysOptions): Promise<void> {
  await withDeadline("sendKeys", options, async (signal) => {
    const { socket, target } = await resolve(options);
    const pane = await locatePane(socket, target, { signal });
    await sendKeyNames(pane.paneId, options.keys, { socket, signal });
  });
}

/** Options of {@link safeSend}. */
export interface SafeSendOptions extends TargetOptions, PatternOptions {
  /** The text. */
  text: string;
  /** `keys` (default: key names work, then Enter), `literal` (no Enter) or `paste` (a block). */
  mode?: SendMode;
  /** Wait for a line matching this in the output after the send. */
  waitFor?: Pattern;
  /** Send attempts per tmux call (default 3). */
  attempts?: number;
  /** First retry delay in ms, doubled each time (default 500). */
  backoffMs?: number;
}

/**
 * Sends text to a healthy pane (after a health check, with retries) and,
 * with `waitFor`, waits up to `timeoutMs` (default 30 s) for a matching line
 * in the output that appears after the send.
 *
 * @example
 * ```ts
 * import { createSession, safeSend } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-send", killOnDispose: true });
 * const outcome = await safeSend({ session: "doc-send", text: "echo ready", waitFor: "^ready$" });
 * console.log(outcome.kind); // "matched"
 * ```
 * @throws {SendFailedError} a send failed on every attempt.
 */
export async function safeSend(options: SafeSendOptions): Promise<SafeSendOutcome> {
  const { socket, target } = await resolve(options);
  return await send({
    socket,
    target,
    text: options.text,
    mode: options.mode,
    matcher: options.waitFor === undefined ? undefined : matcherOf(options.waitFor, options),
    timeoutMs: options.timeoutMs,
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    signal: options.signal,
  });
}

/** Options of {@link waitForText}. */
export interface WaitForTextOptions extends TargetOptions, PatternOptions {
  /** What to look for, line by line. */
  pattern: Pattern;
  /** Lines of history above the screen to search (default 1000). */
  lines?: number;
}

/**
 * Waits until a line of the pane (the last `lines` lines plus the screen,
 * wrapped lines joined) matches, reacting to output as it arrives. Never
 * throws for a timeout: the outcome says `timed_out`, `pane_gone` or
 * `cancelled`.
 *
 * @example
 * ```ts
 * import { createSession, waitForText } from "./mod.ts";
 *
 * await using _py = await createSession({ name: "doc-wait", kind: "python", killOnDispose: true });
 * const outcome = await waitForText({ session: "doc-wait", pattern: ">>>", timeoutMs: 10_000 });
 * console.log(outcome.kind); // "matched"
 * ```
 * @throws {PaneNotFoundError} the pane does not exist when the wait starts.
 */
export async function waitForText(options: WaitForTextOptions): Promise<WaitOutcome> {
  const { socket, target } = await resolve(options);
  let pane: PaneInfo;
  try {
    pane = await locatePane(socket, target, { signal: options.signal });
  } catch (error) {
    // A wait that is cancelled says so, whether or not it had started.
    if (options.signal?.aborted) return { kind: "cancelled" };
    throw error;
  }
  return await wait({
    socket,
    pane: pane.paneId,
    matcher: matcherOf(options.pattern, options),
    timeoutMs: options.timeoutMs ?? 15_000,
    history: options.lines,
    signal: options.signal,
    label: `pane ${target}`,
  });
}

/**
 * The pane's text as lines: the visible screen by default, or with
 * `history` lines above it (`"all"`: the whole history); `join` joins
 * wrapped lines; `escapes` keeps colours. Trailing blank lines are dropped.
 *
 * @example
 * ```ts
 * import { capture, createSession } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-capture", killOnDispose: true });
 * const lines = await capture({ session: "doc-capture", history: 100, join: true });
 * console.log(lines.length);
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function capture(options: TargetOptions & CaptureOptions = {}): Promise<string[]> {
  return await withDeadline("capture", options, async (signal) => {
    const { socket, target } = await resolve(options);
    const pane = await locatePane(socket, target, { signal });
    return await capturePane(socket, pane.paneId, {
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
  /** A shell command line, Python code, or a gdb command. */
  command: string;
  /** The session type (`shell`, `python-repl`, `debugger`); read from the registry or the pane when omitted. */
  type?: string;
}

/**
 * Runs one command and returns what it printed and how it ended. In a shell:
 * exactly the command's output and its exit status. In a Python REPL or gdb:
 * what appeared before the prompt came back (exit code 1 after a traceback).
 * After `timeoutMs` (default 30 s) the outcome is `timed_out` with the output
 * so far, and the command keeps running.
 *
 * @example
 * ```ts
 * import { createSession, run } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-run", killOnDispose: true });
 * const result = await run({ session: "doc-run", command: "echo a; echo b; (exit 7)" });
 * console.log(result.output, result.exitCode); // "a\nb" 7
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function run(options: RunCommandOptions): Promise<RunOutcome> {
  const resolved = await resolve(options);
  const entryType = resolved.entry?.type;
  return await runCommand({
    socket: resolved.socket,
    target: resolved.target,
    command: options.command,
    type: options.type ?? (typeof entryType === "string" ? entryType : undefined),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
}

/**
 * Kills a session and removes its registry entry (only the entry on that
 * socket). Each step is tried whatever the other did; the outcome says which
 * happened.
 *
 * @example
 * ```ts
 * import { createSession, killSession } from "./mod.ts";
 *
 * await createSession({ name: "doc-kill" });
 * const outcome = await killSession({ session: "doc-kill" });
 * console.log(outcome.killed, outcome.deregistered); // true true
 * ```
 * @throws {SessionNotFoundError} an unknown name.
 */
export async function killSession(
  options: TargetOptions & { name?: string },
): Promise<KillOutcome> {
  const registry = options.registry ?? new Registry();
  return await withDeadline("killSession", options, async (signal) => {
    const resolved = await resolve({ ...options, registry });
    const session = targetSession(resolved.target);
    const socket = resolved.socket.path ?? resolvePaths().defaultSocket;
    return await kill(registry, {
      name: options.name ?? resolved.name ?? session,
      session,
      socket,
    }, { signal });
  });
}

/** Options of {@link cleanupSessions}. */
export interface CleanupOptions extends OperationOptions, RegistryOption {
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
 * import { cleanupSessions } from "./mod.ts";
 *
 * const { items } = await cleanupSessions({ dryRun: true });
 * for (const { name, reason } of items) console.log(name, reason);
 * ```
 * @throws {InvalidDurationError} `olderThan` is not like `30m`.
 */
export async function cleanupSessions(options: CleanupOptions = {}): Promise<CleanupResult> {
  const olderThan = options.olderThan ?? "0s";
  const seconds = parseDuration(olderThan);
  if (seconds === undefined) throw new InvalidDurationError(olderThan);
  const registry = options.registry ?? new Registry();
  return await withDeadline("cleanupSessions", options, (signal) =>
    cleanup(registry, {
      all: options.all ?? false,
      olderThanSeconds: seconds,
      olderThanLabel: olderThan,
      nowEpoch: nowEpochSeconds(),
    }, { dryRun: options.dryRun, signal }));
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
  sessions: FoundSession[];
}

/**
 * Lists tmux sessions, registered or not, on one socket (default: tmux's
 * default socket) or on every socket in the socket directory (`all`).
 *
 * @example
 * ```ts
 * import { createSession, findSessions } from "./mod.ts";
 *
 * await using s = await createSession({ name: "doc-find", killOnDispose: true });
 * const [server] = await findSessions({ socket: s.socket, query: "doc-" });
 * console.log(server.sessions.map((x) => x.name)); // ["doc-find"]
 * ```
 * @throws {TmuxToolError} `all` with no socket directory or no sockets in it.
 */
export async function findSessions(options: FindSessionsOptions = {}): Promise<ServerSessions[]> {
  return await withDeadline("findSessions", options, async (signal) => {
    const sockets: Socket[] = options.all
      ? (await socketFiles(resolvePaths().socketDir)).map((path) => ({ path }))
      : [
        options.socket
          ? { path: options.socket }
          : options.socketName
          ? { name: options.socketName }
          : {},
      ];
    return await Promise.all(sockets.map(async (socket) => {
      const sessions = await listServerSessions(socket, { signal });
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
 * import { createSession, sendKeys, watchPane } from "./mod.ts";
 *
 * await using _s = await createSession({ name: "doc-watch", killOnDispose: true });
 * await using watch = await watchPane({ session: "doc-watch" });
 * await sendKeys({ session: "doc-watch", keys: ["echo hi", "Enter"] });
 * for await (const chunk of watch) if (chunk.includes("hi")) break;
 * ```
 * @throws {PaneNotFoundError} the pane does not exist.
 */
export async function watchPane(options: TargetOptions = {}): Promise<PaneWatch> {
  const { socket, target } = await resolve(options);
  return await watch(socket, target, { signal: options.signal, timeoutMs: options.timeoutMs });
}
