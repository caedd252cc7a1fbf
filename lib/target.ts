/**
 * Target resolution, shared by every face that acts on one pane, with the
 * original tools' priority: `target` with `socket`/`socketName` as given;
 * else `session` from the registry (a `target` or `socket` alone beside it
 * is ignored); else `target` on tmux's default socket; else the registry's
 * only session. The command-line flags that feed it are in `cli/target.ts`.
 *
 * @module
 */
import {
  AmbiguousSessionError,
  InvalidEntryError,
  NoSessionsError,
  SessionNotFoundError,
  UsageError,
} from "./errors.ts";
import {
  entryProblem,
  isUsableEntry,
  type Registry,
  sessionNames,
  type UsableEntry,
} from "./registry.ts";
import type { Socket } from "./tmux.ts";

/** The target flags every single-pane tool accepts. */
export interface TargetFlags {
  /** `-s NAME`: a registered session. */
  session?: string;
  /** `-t TARGET`: a tmux target. */
  target?: string;
  /** `-S PATH`: socket path for `-t`. */
  socket?: string;
  /** `-L NAME`: socket name for `-t`. */
  socketName?: string;
}

/** Where a tool should act. */
export interface ResolvedTarget {
  /** The server. */
  socket: Socket;
  /** The tmux target on it. */
  target: string;
  /** The registry name, when it came from the registry. */
  name?: string;
  /** The registry entry, when it came from the registry. */
  entry?: UsableEntry;
}

/** Options of {@link resolveTarget}. */
export interface ResolveOptions {
  /** Update the entry's `last_active` (default true). */
  touch?: boolean;
}

/** How the flags name the pane: `explicit` (`-t`, `-S`/`-L`), `session` (`-s`) or `auto`. */
export type TargetSource = "explicit" | "session" | "auto";

/**
 * Which flags decide the pane, as the original decides: `-t` with a socket
 * (`-S`/`-L`) wins; else `-s` (any lone `-t` or `-S` beside it is ignored);
 * else `-t` or a socket flag (then `-t` is required); else auto-detection.
 */
export function targetSource(flags: TargetFlags): TargetSource {
  const socketGiven = flags.socket !== undefined || flags.socketName !== undefined;
  if (flags.target !== undefined && socketGiven) return "explicit";
  if (flags.session !== undefined) return "session";
  return flags.target !== undefined || socketGiven ? "explicit" : "auto";
}

/**
 * Resolves the target flags to a socket and target (see {@link targetSource}).
 * Looking up never fails for want of writing: the `last_active` update is
 * skipped when the registry can't be written.
 *
 * @throws {SessionNotFoundError} `-s NAME` is not registered.
 * @throws {InvalidEntryError} the entry found has no usable socket or target.
 * @throws {NoSessionsError} auto-detect found no session.
 * @throws {AmbiguousSessionError} auto-detect found several sessions.
 * @throws {RegistryInvalidError} the registry is needed but can't be used.
 */
export async function resolveTarget(
  flags: TargetFlags,
  registry: Registry,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  if (targetSource(flags) === "explicit") {
    if (flags.target === undefined) {
      // A socket means nothing without a target: refuse it rather than act elsewhere.
      throw new UsageError("A socket (-S/socket or -L/socketName) needs a target (-t/target)");
    }
    const socket: Socket = flags.socket !== undefined
      ? { path: flags.socket }
      : flags.socketName !== undefined
      ? { name: flags.socketName }
      : {};
    return { socket, target: flags.target };
  }
  const data = await registry.read();
  let name = flags.session;
  if (name === undefined) {
    const names = sessionNames(data);
    if (names.length === 0) throw new NoSessionsError();
    if (names.length > 1) throw new AmbiguousSessionError(names);
    name = names[0];
  }
  if (!Object.hasOwn(data.sessions, name)) throw new SessionNotFoundError(name);
  const entry = data.sessions[name];
  if (!isUsableEntry(entry)) {
    throw new InvalidEntryError(name, registry.file, entryProblem(entry) ?? "");
  }
  if (options.touch ?? true) await touchQuietly(registry, name);
  return { socket: { path: entry.socket }, target: entry.target, name, entry };
}

/**
 * `last_active` is bookkeeping: a busy lock, a read-only or full
 * filesystem, a lock that can't be created, missing write permission, none
 * of it may fail or stall a look-up (the original ignores a failed update too).
 */
async function touchQuietly(registry: Registry, name: string): Promise<void> {
  try {
    await registry.touch(name, { lockTimeoutSeconds: 1 });
  } catch {
    // Not written: the look-up itself succeeded.
  }
}

/** Which pane an operation acts on (see {@link resolveTarget} for the priority). */
export type TargetSpec = TargetFlags;
