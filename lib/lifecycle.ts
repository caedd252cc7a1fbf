/**
 * Session lifecycle: create a tmux session with one `new-session -P -F` call
 * and register the pane tmux really made, or kill a session and remove its
 * registry entry. Both report what happened step by step; the tools map that
 * to their exit codes.
 *
 * @module
 */
import { dirname, resolve } from "./path.ts";
import {
  ServerNotRunningError,
  SessionExistsError,
  TmuxCommandError,
  TmuxTimeoutError,
  UsageError,
} from "./errors.ts";
import type { Context } from "./context.ts";
import { formatLiteral, formatTemplate, parseRows, tmuxArgument } from "./quote.ts";
import { entryOnSocket, type Registry, type SessionType } from "./registry.ts";
import { removeSessionOutput } from "./output.ts";
import { logStart } from "./log.ts";
import { afterHistoryLimit, HISTORY_LIMIT_AFTER, HISTORY_LIMIT_BEFORE } from "./history.ts";
import { ensureSocketDir } from "./safety.ts";
import type { Server } from "./server.ts";
import { type CallOptions, runHelper } from "./tmux.ts";

/** A kind of session: `shell` (bash), `python` (python3 REPL) or `gdb`. */
export type SessionKind = "shell" | "python" | "gdb";

/** What each kind of session runs; argument arrays, never shell strings. */
export const SESSION_KINDS: Readonly<
  Record<SessionKind, { type: SessionType; command: readonly string[]; env: readonly string[] }>
> = {
  shell: { type: "shell", command: ["bash"], env: [] },
  python: { type: "python-repl", command: ["python3", "-q"], env: ["PYTHON_BASIC_REPL=1"] },
  // Quiet, and never stopped by its pager or a confirmation: driven by programs.
  gdb: {
    type: "debugger",
    command: ["gdb", "-q", "-iex", "set pagination off", "-iex", "set confirm off"],
    env: [],
  },
};

/** Window name when none is given. */
export const DEFAULT_WINDOW = "shell";

/** Options of {@link createSession}. */
export interface CreateOptions {
  /** Session name (also the registry key). */
  name: string;
  /** What to run (default `shell`). */
  kind?: SessionKind;
  /** Socket path; the registry's default socket when omitted. Stored absolute. */
  socket?: string;
  /** Window name (default {@link DEFAULT_WINDOW}). */
  window?: string;
  /** Register the session (default true). */
  register?: boolean;
  /** The folder the session starts in (default: the caller's). */
  cwd?: string;
  /** gdb only: the program to debug and its arguments (`gdb --args PROGRAM ARGS...`). */
  args?: readonly string[];
}

/** create-session's JSON result, in its documented key order. */
export interface CreatedSession {
  /** Session name. */
  name: string;
  /** Absolute socket path. */
  socket: string;
  /** The pane's real `session:window.pane`. */
  target: string;
  /** Session type. */
  type: SessionType;
  /** The pane's process id, if tmux reported one. */
  pid: number | null;
  /** Window name. */
  window: string;
  /** Whether the session was registered. */
  registered: boolean;
}

/**
 * Checks that tmux will keep `name` as given: not empty, no `.` or `:`
 * (tmux turns them into `_`), no `\` and no control or line-separator
 * characters (tmux escapes them), no leading `$` (a target `=$...` is read
 * as a session id, so the session could never be found by its name), no
 * leading `=` (tmux reads it as "exact match", so `=x` could never be
 * targeted or killed by its name) and no trailing `;` (tmux reads it as a
 * command separator). {@link createSession}
 * also compares the name tmux reports, for characters tmux's width tables
 * reject.
 *
 * @throws {UsageError} the name would not survive.
 */
export function checkSessionName(name: string): void {
  if (name === "") throw new UsageError("Session name must not be empty");
  const problem = /[.:]/.test(name)
    ? "tmux would rename '.' and ':' to '_'"
    : name.includes("\\")
    ? "tmux would escape '\\'"
    : /[\p{Cc}\p{Zl}\p{Zp}]/u.test(name)
    ? "control characters and newlines are not allowed"
    : name.startsWith("$")
    ? "tmux reads a leading '$' as a session id"
    : name.startsWith("=")
    ? "tmux reads a leading '=' as an exact-match prefix"
    : name.endsWith(";")
    ? "tmux reads a trailing ';' as a command separator"
    : undefined;
  if (problem) throw new UsageError(`Invalid session name ${JSON.stringify(name)}: ${problem}`);
}

const CREATED_FIELDS = ["session_name", "window_index", "pane_index", "pane_pid"] as const;

/**
 * Starts a detached session running the kind's program and registers its
 * pane. Nothing is left behind on failure: a registration that fails kills
 * the session it just made.
 *
 * @throws {UsageError} a name tmux would not keep (a session tmux renamed is killed).
 * @throws {SessionExistsError} the name is registered, or tmux has a session of that name.
 * @throws {RegistryInvalidError} the registry can't be used (checked before tmux runs).
 * @throws {RegistryLockTimeoutError} the registry lock was not acquired in time.
 * @throws {TmuxCommandError} tmux failed to create the session.
 * @throws {UnsafePathError} the default socket directory is not private to the user.
 */
export async function createSession(
  context: Context,
  options: CreateOptions,
  call: CallOptions = {},
): Promise<CreatedSession> {
  const { registry } = context;
  const { name } = options;
  checkSessionName(name);
  const kind = SESSION_KINDS[options.kind ?? "shell"];
  const args = options.args ?? [];
  if (args.length > 0 && options.kind !== "gdb") {
    throw new UsageError("A program to debug (arguments after --) goes only with --gdb");
  }
  // tmux expands formats in -c: keep the folder literal.
  const cwd = options.cwd === undefined
    ? []
    : ["-c", tmuxArgument(formatLiteral(await startFolder(options.cwd)))];
  const window = options.window ?? DEFAULT_WINDOW;
  const register = options.register ?? true;
  let socket: string;
  if (options.socket === undefined) {
    socket = context.paths.defaultSocket;
    await ensureSocketDir(context.paths);
  } else {
    socket = resolve(options.socket);
  }
  const server = context.server({ path: socket });
  if (register && Object.hasOwn((await registry.read()).sessions, name)) {
    throw new SessionExistsError(name, "registry");
  }

  // Read cursors: the pane's output log starts with the session, in the same tmux call.
  const log = await logStart(
    context.paths.socketDir,
    { socket: server.socket, session: name },
    undefined,
  )
    .catch(() => null);
  let stdout: string;
  try {
    stdout = await server.run([
      ...HISTORY_LIMIT_BEFORE,
      "new-session",
      "-d",
      // tmux expands formats in these two (`#(cmd)` would run cmd): keep them literal.
      "-s",
      formatLiteral(name),
      "-n",
      tmuxArgument(formatLiteral(window)),
      "-P",
      "-F",
      formatTemplate(CREATED_FIELDS),
      ...kind.env.flatMap((assignment) => ["-e", assignment]),
      ...cwd,
      ...kind.command,
      ...args.length > 0 ? ["--args", ...args.map(tmuxArgument)] : [],
      ...HISTORY_LIMIT_AFTER,
      ...(log ? [";", ...log.args] : []),
    ], call);
  } catch (caught) {
    const error = await afterHistoryLimit(server, caught, "new-session");
    if (error instanceof TmuxCommandError && /duplicate session/i.test(error.stderr)) {
      throw new SessionExistsError(name, "tmux", socket);
    }
    throw error;
  }
  const [session, windowIndex, paneIndex, panePid] = parseRows(stdout)[0] ?? [];
  if (session === undefined) {
    // tmux exits 0 when it can't create the socket (say, its folder is missing).
    const folder = dirname(socket);
    throw new TmuxCommandError(
      "new-session",
      await isFolder(folder)
        ? `no session was created on ${socket}`
        : `the socket's folder ${folder} does not exist`,
      0,
    );
  }
  if (session !== name) {
    await killQuietly(server, session);
    throw new UsageError(
      `Invalid session name ${JSON.stringify(name)}: tmux renamed it to ${JSON.stringify(session)}`,
    );
  }
  const target = `${session}:${windowIndex}.${paneIndex}`;
  const pid = /^[1-9]\d*$/.test(panePid ?? "") ? Number(panePid) : null;
  if (register) {
    try {
      await registry.add(name, { socket, target, type: kind.type, pid }, { exclusive: true });
    } catch (error) {
      await killQuietly(server, name);
      throw error;
    }
  }
  return { name, socket, target, type: kind.type, pid, window, registered: register };
}

/**
 * `path` as an absolute folder to start a session in. tmux starts a session
 * whose folder does not exist in another one without a word, so the folder
 * is checked first: with `Deno.stat` where the caller may read it, else with
 * `test -d` (create-session's permissions scope reading to its own folders).
 *
 * @throws {UsageError} it is not a folder.
 */
async function startFolder(path: string): Promise<string> {
  const folder = resolve(path);
  if (path === "" || !(await isFolder(folder))) {
    throw new UsageError(`Not a folder: ${path} (--cwd)`);
  }
  return folder;
}

/** Whether `path` is a folder; `true` when neither way can tell (tmux then decides). */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (
      !(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)
    ) {
      return false;
    }
  }
  try {
    return (await runHelper("test", ["-d", path])).success;
  } catch {
    return true;
  }
}

/** Rollback: the session may already be gone, and the original error is what matters. */
async function killQuietly(server: Server, session: string): Promise<void> {
  await server.killSession(session).catch(() => {});
}

/** Which session {@link killSession} removes. */
export interface KillTarget {
  /** Registry name. */
  name: string;
  /** tmux session name on the server. */
  session: string;
  /** The server; only a registry entry on its socket path is removed. */
  server: Server;
  /** The toolkit's socket folder: the session's output files there are removed with it. */
  socketDir?: string;
}

/**
 * What a kill came to: `removed` (killed and deregistered; an entry never
 * registered counts as deregistered), `killed_not_deregistered` (the
 * registry could not be updated: `deregisterError` says why),
 * `deregistered_not_killed` (`killError` says why), or `failed` (neither).
 */
export type KillStatus =
  | "removed"
  | "killed_not_deregistered"
  | "deregistered_not_killed"
  | "failed";

/** What {@link killSession} did. */
export interface KillOutcome {
  /** Both steps, in one word. */
  status: KillStatus;
  /** The tmux session was killed. */
  killed: boolean;
  /** Why it was not. */
  killError?: Error;
  /** An entry of that name on that socket was in the registry. */
  wasRegistered: boolean;
  /** The registry holds no such entry any more (removed, or never there). */
  deregistered: boolean;
  /** Why the registry could not be updated (unusable, unsafe, locked, or not writable). */
  deregisterError?: Error;
}

/**
 * Kills the tmux session, then removes its registry entry (only the entry of
 * that name on that same socket). Each step is tried whatever the other did.
 *
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function killSession(
  registry: Registry,
  target: KillTarget,
  call: CallOptions = {},
): Promise<KillOutcome> {
  const outcome: KillOutcome = {
    status: "failed",
    killed: false,
    wasRegistered: false,
    deregistered: false,
  };
  try {
    await target.server.killSession(target.session, call);
    outcome.killed = true;
    if (target.socketDir !== undefined) {
      // Output files are bookkeeping: one that can't be removed does not fail the kill.
      const owner = { socket: target.server.socket, session: target.session };
      await removeSessionOutput(target.socketDir, owner).catch(() => {});
    }
  } catch (error) {
    if (!isTmuxFailure(error)) throw error;
    outcome.killError = error;
  }
  try {
    // Entries name socket paths: on a server reached by name (-L) or tmux's default, none is.
    const path = target.server.socket.path;
    outcome.wasRegistered = path === undefined ? false : await registry.remove(target.name, path);
    outcome.deregistered = true;
  } catch (error) {
    // Whatever stopped the registry update (a lock timeout, an unusable
    // registry, a folder that can't be written: EACCES, EROFS, ENOSPC), the
    // kill above stands: this step failed, and the outcome says so.
    if (!(error instanceof Error)) throw error;
    outcome.deregisterError = error;
  }
  outcome.status = outcome.killed
    ? outcome.deregistered ? "removed" : "killed_not_deregistered"
    : outcome.deregistered
    ? "deregistered_not_killed"
    : "failed";
  return outcome;
}

/**
 * Whether `name` is registered on `socket` (what a kill would deregister).
 *
 * @throws {RegistryInvalidError} the registry can't be used.
 */
export async function isRegisteredOn(
  registry: Registry,
  name: string,
  socket: string,
): Promise<boolean> {
  const { sessions } = await registry.read();
  return Object.hasOwn(sessions, name) && entryOnSocket(sessions[name], socket);
}

export function isTmuxFailure(error: unknown): error is Error {
  return error instanceof TmuxCommandError || error instanceof ServerNotRunningError ||
    error instanceof TmuxTimeoutError;
}
