/**
 * Session lifecycle: create a tmux session with one `new-session -P -F` call
 * and register the pane tmux really made, or kill a session and remove its
 * registry entry. Both report what happened step by step; the tools map that
 * to their exit codes.
 *
 * @module
 */
import { resolve } from "./path.ts";
import {
  ServerNotRunningError,
  SessionExistsError,
  TmuxCommandError,
  TmuxTimeoutError,
  UsageError,
} from "./errors.ts";
import { entryOnSocket, type Registry, type SessionType } from "./registry.ts";
import { ensureSocketDir } from "./safety.ts";
import { tmuxArgument } from "./send.ts";
import { exactSession, formatTemplate, parseRows, tmux, type TmuxCallOptions } from "./tmux.ts";

/** A kind of session: `shell` (bash), `python` (python3 REPL) or `gdb`. */
export type SessionKind = "shell" | "python" | "gdb";

/** What each kind of session runs; argument arrays, never shell strings. */
export const SESSION_KINDS: Readonly<
  Record<SessionKind, { type: SessionType; command: readonly string[]; env: readonly string[] }>
> = {
  shell: { type: "shell", command: ["bash"], env: [] },
  python: { type: "python-repl", command: ["python3", "-q"], env: ["PYTHON_BASIC_REPL=1"] },
  gdb: { type: "debugger", command: ["gdb"], env: [] },
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
 * as a session id, so the session could never be found by its name) and no
 * trailing `;` (tmux reads it as a command separator). {@link createSession}
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
  registry: Registry,
  options: CreateOptions,
  call: TmuxCallOptions = {},
): Promise<CreatedSession> {
  const { name } = options;
  checkSessionName(name);
  const kind = SESSION_KINDS[options.kind ?? "shell"];
  const window = options.window ?? DEFAULT_WINDOW;
  const register = options.register ?? true;
  let socket: string;
  if (options.socket === undefined) {
    socket = registry.paths.defaultSocket;
    await ensureSocketDir(registry.paths);
  } else {
    socket = resolve(options.socket);
  }
  if (register && Object.hasOwn((await registry.read()).sessions, name)) {
    throw new SessionExistsError(name, "registry");
  }

  let stdout: string;
  try {
    stdout = await tmux([
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
      ...kind.command,
    ], { ...call, socket: { path: socket } });
  } catch (error) {
    if (error instanceof TmuxCommandError && /duplicate session/i.test(error.stderr)) {
      throw new SessionExistsError(name, "tmux", socket);
    }
    throw error;
  }
  const [session, windowIndex, paneIndex, panePid] = parseRows(stdout)[0] ?? [];
  if (session === undefined) {
    // tmux exits 0 when it can't create the socket (say, its directory is missing).
    throw new TmuxCommandError(
      "new-session",
      `no session was created on ${socket} (does its directory exist?)`,
      0,
    );
  }
  if (session !== name) {
    await killQuietly(socket, session);
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
      await killQuietly(socket, name);
      throw error;
    }
  }
  return { name, socket, target, type: kind.type, pid, window, registered: register };
}

/** Kills the tmux session `session` (exact name) on `socket`. */
export async function killTmuxSession(
  socket: string,
  session: string,
  call: TmuxCallOptions = {},
): Promise<void> {
  await tmux(["kill-session", "-t", tmuxArgument(exactSession(session))], {
    ...call,
    socket: { path: socket },
  });
}

/** `text` as a tmux format that expands to itself: `#` doubled, so `#(cmd)` runs nothing. */
function formatLiteral(text: string): string {
  return text.replaceAll("#", "##");
}

/** Rollback: the session may already be gone, and the original error is what matters. */
async function killQuietly(socket: string, session: string): Promise<void> {
  await killTmuxSession(socket, session).catch(() => {});
}

/** Which session {@link killSession} removes. */
export interface KillTarget {
  /** Registry name. */
  name: string;
  /** tmux session name on the socket. */
  session: string;
  /** Socket path; only a registry entry on this socket is removed. */
  socket: string;
}

/** What {@link killSession} did. */
export interface KillOutcome {
  /** The tmux session was killed. */
  killed: boolean;
  /** Why it was not. */
  killError?: Error;
  /** An entry of that name on that socket was in the registry. */
  wasRegistered: boolean;
  /** The registry holds no such entry any more (removed, or never there). */
  deregistered: boolean;
  /** Why the registry could not be updated. */
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
  call: TmuxCallOptions = {},
): Promise<KillOutcome> {
  const outcome: KillOutcome = { killed: false, wasRegistered: false, deregistered: false };
  try {
    await killTmuxSession(target.socket, target.session, call);
    outcome.killed = true;
  } catch (error) {
    if (!isTmuxFailure(error)) throw error;
    outcome.killError = error;
  }
  try {
    outcome.wasRegistered = await registry.remove(target.name, target.socket);
    outcome.deregistered = true;
  } catch (error) {
    // Whatever stopped the registry update (a lock timeout, an unusable
    // registry, a folder that can't be written: EACCES, EROFS, ENOSPC), the
    // kill above stands: this step failed, and the outcome says so.
    if (!(error instanceof Error)) throw error;
    outcome.deregisterError = error;
  }
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

function isTmuxFailure(error: unknown): error is Error {
  return error instanceof TmuxCommandError || error instanceof ServerNotRunningError ||
    error instanceof TmuxTimeoutError;
}
