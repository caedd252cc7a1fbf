/**
 * Drive tmux from programs: start shells, Python REPLs and debuggers in tmux
 * sessions, send them input safely, wait for their output, run commands and
 * get their output and exit status, check their health and clean them up.
 * Sessions are kept in a JSON registry shared with the original bash tools.
 *
 * Two levels, one core:
 *
 * - **Operations by target** (`createSession`, `run`, `send`, `waitForText`,
 *   `capture`, ...) take an options object that names a pane: `session` (a
 *   registered name), or `target` with `socket`/`socketName`; with none of
 *   them, the registry's only session. `openSession` and `createSession`
 *   return a {@link Session} handle with the same operations bound to it.
 * - **The core objects** the operations are made of: a {@link Context} (the
 *   environment turned into paths, the {@link Registry} and one
 *   {@link Server} per socket), a {@link Server} (a socket: its panes and
 *   sessions), a {@link Pane} (its text, state, sends and health) and
 *   {@link waitUntil}, the one waiting primitive.
 *
 * The same semantics hold for every operation:
 *
 * - `timeoutMs` is a deadline on the whole operation: past it, the call
 *   rejects with an {@link OperationTimeoutError}.
 * - `waitMs` is a wait budget (how long `run`, `send` with `waitFor`, and
 *   `waitForText` wait): when it is spent the result is an outcome
 *   (`kind: "timed_out"`), not an exception. So are `pane_gone` and
 *   `not_ready`, and `run`'s `waiting_for_input` (the pane's program waits
 *   at a prompt; {@link resumeRun} collects the rest) and `refused` (the
 *   pane runs a program `run` does not type into; nothing was typed).
 * - `signal`: aborting it rejects the call with `signal.reason`, whether it
 *   was aborted before the call or during it.
 * - A look-up by name only reads the registry; `touch: true` also updates
 *   the entry's `last_active` (as the command-line tools do).
 * - Option values that types cannot stop are checked at run time: an
 *   unknown `mode` or `kind`, a negative or non-finite number is a
 *   {@link UsageError} naming the option.
 * - `context` picks the environment, registry and servers (default: a new
 *   `Context()` from the process environment). A long-lived program makes
 *   one with `persistent: true` (its servers send their tmux commands
 *   through one control-mode client each) and closes it when done.
 * - `onProgress`: the long operations (`run`, `waitForText`, `send` with
 *   `waitFor`) report the core's steps, and every second while they wait.
 * - Waits for text (`send` with `waitFor`, `waitForText`) may also end on a
 *   failure pattern (`failOn`: outcome `failed`, at once) and wait for the
 *   pane to go quiet (`idleMs`: alone, outcome `quiet`); `newOutput` counts
 *   only output from the call on. A full-screen program is matched on its
 *   whole screen once it has drawn since the send.
 * - `cursor: true` (`send`, `waitForText`, `run`) returns a read cursor, and
 *   {@link readSince} returns what the pane printed after one: a place in
 *   the pane's persistent output log, so history trimming never moves it.
 *
 * @example Run a calculation in a Python REPL
 * ```ts
 * import assert from "node:assert/strict";
 * import { createSession } from "@claude-tmux/tools";
 *
 * await using py = await createSession({ name: "doc-calc", kind: "python", killOnDispose: true });
 * await py.waitFor("^>>>", { waitMs: 10_000 });
 * const result = await py.run("print(6 * 7)");
 * assert.deepEqual([result.kind, result.output, result.exitCode], ["completed", "42", 0]);
 * ```
 *
 * @example Drive a pane through the core objects
 * ```ts
 * import assert from "node:assert/strict";
 * import { Context, createSession, waitUntil } from "@claude-tmux/tools";
 *
 * const context = new Context();
 * await using _s = await createSession({ name: "doc-core", context, killOnDispose: true });
 * const { pane } = await context.pane({ session: "doc-core" });
 * await pane.send("echo core-$((40+2))", "keys");
 * const outcome = await waitUntil(pane, {
 *   capture: () => ({ join: true }),
 *   test: (snap) => snap.lines.includes("core-42") ? { done: true } : undefined,
 * }, { waitMs: 10_000 });
 * assert.equal(outcome.kind, "done");
 * ```
 *
 * @module
 */
export {
  capture,
  cleanupSessions,
  createSession,
  findSessions,
  killSession,
  listSessions,
  openSession,
  paneHealth,
  readSince,
  resumeRun,
  run,
  send,
  sendKeys,
  Session,
  waitForText,
  watchPane,
} from "./lib/api.ts";
export type {
  CleanupOptions,
  CreateSessionOptions,
  FindSessionsOptions,
  OperationOptions,
  OperationProgress,
  Pattern,
  ReadSinceOptions,
  ResumeRunOptions,
  RunCommandOptions,
  SendKeysOptions,
  SendOptions,
  ServerSessions,
  SessionInfo,
  TargetOptions,
  WaitForTextOptions,
} from "./lib/api.ts";
export { Context } from "./lib/context.ts";
export type { ContextOptions, Located, LocateOptions } from "./lib/context.ts";
export { Server } from "./lib/server.ts";
export type { EventsOptions, PaneInspection, ServerOptions, ServerSession } from "./lib/server.ts";
export { AccessPolicy, ownPane } from "./lib/policy.ts";
export type { AccessOptions, Action, OwnPane } from "./lib/policy.ts";
export { ControlClient, ControlClosedError } from "./lib/control.ts";
export type {
  AttachOptions,
  ControlCommandOptions,
  ControlWake,
  PaneEvents,
} from "./lib/control.ts";
export { Pane } from "./lib/pane.ts";
export type {
  Anchor,
  PaneSendOptions,
  PaneServer,
  PaneSnapshot,
  PaneState,
  SendMode,
} from "./lib/pane.ts";
export { waitUntil } from "./lib/until.ts";
export type { Probe, UntilOptions, UntilOutcome, Verdict } from "./lib/until.ts";
export { compilePattern } from "./lib/lines.ts";
export type { LineMatcher, PatternOptions } from "./lib/lines.ts";
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
export type { HealthStatus, PaneHealth } from "./lib/health.ts";
export type { PaneInfo } from "./lib/panes.ts";
export type { SafeSendOutcome, SentExtras } from "./lib/safe_send.ts";
export { RUN_MODES } from "./lib/run.ts";
export type { RunMode, RunOutcome, RunResult } from "./lib/run.ts";
export type {
  CleanupItem,
  CleanupResult,
  SessionActivity,
  SessionStatus,
  SessionSummary,
} from "./lib/sessions.ts";
export type { TargetSpec } from "./lib/target.ts";
export type { CallOptions, RunTmuxOptions, Socket } from "./lib/tmux.ts";
export type { WaitOutcome } from "./lib/wait.ts";
export { LogUnavailableError } from "./lib/cursor.ts";
export type { SinceRead } from "./lib/cursor.ts";
export type { PaneWatch } from "./lib/watch.ts";
export type { Spawner } from "./lib/control.ts";
export { ENV_VARS } from "./lib/env.ts";
export type { Env, EnvVar, Paths } from "./lib/env.ts";
export {
  AccessDeniedError,
  AmbiguousSessionError,
  InvalidDurationError,
  InvalidEntryError,
  InvalidPatternError,
  NoSessionsError,
  OperationTimeoutError,
  PaneNotFoundError,
  RegistryInvalidError,
  RegistryLockTimeoutError,
  RegistryWriteError,
  SendFailedError,
  ServerNotRunningError,
  SessionExistsError,
  SessionNotFoundError,
  TmuxCommandError,
  TmuxNotFoundError,
  TmuxTimeoutError,
  TmuxToolError,
  UnsafePathError,
  UsageError,
} from "./lib/errors.ts";
