/**
 * Target resolution, shared by every tool that acts on one pane:
 * explicit `-t` (with `-S`/`-L`, or tmux's default socket), else `-s NAME`
 * from the registry, else the registry's only session.
 *
 * @module
 */
import type { ExitRule, FlagSpecs } from "./cli.ts";
import {
  AmbiguousSessionError,
  NoSessionsError,
  RegistryInvalidError,
  RegistryLockTimeoutError,
  SessionNotFoundError,
  UnsafePathError,
  UsageError,
} from "./errors.ts";
import { type Registry, type SessionEntry, sessionNames } from "./registry.ts";
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
  entry?: SessionEntry;
}

/** Options of {@link resolveTarget}. */
export interface ResolveOptions {
  /** Update the entry's `last_active` (default true). */
  touch?: boolean;
}

/**
 * Resolves the target flags to a socket and target.
 *
 * @throws {SessionNotFoundError} `-s NAME` is not registered.
 * @throws {NoSessionsError} auto-detect found no session.
 * @throws {AmbiguousSessionError} auto-detect found several sessions.
 * @throws {RegistryInvalidError} the registry is needed but can't be used.
 */
export async function resolveTarget(
  flags: TargetFlags,
  registry: Registry,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  if (flags.target !== undefined) {
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
  const entry = Object.hasOwn(data.sessions, name) ? data.sessions[name] : undefined;
  if (!entry) throw new SessionNotFoundError(name);
  if (options.touch ?? true) await touchQuietly(registry, name);
  return { socket: { path: entry.socket }, target: entry.target, name, entry };
}

/** `last_active` is bookkeeping: a busy lock must not fail or stall the tool. */
async function touchQuietly(registry: Registry, name: string): Promise<void> {
  try {
    await registry.touch(name, { lockTimeoutSeconds: 1 });
  } catch (error) {
    if (!(error instanceof RegistryLockTimeoutError)) throw error;
  }
}

/** The target flags, declared once for every single-pane tool. */
export const TARGET_FLAGS = {
  session: { type: "string", short: "s" },
  target: { type: "string", short: "t" },
  socket: { type: "string", short: "S" },
} as const satisfies FlagSpecs;

/** The errors of looking a target up, which each tool maps to its lookup-error code. */
export const LOOKUP_ERRORS = [
  RegistryInvalidError,
  UnsafePathError,
  SessionNotFoundError,
  NoSessionsError,
  AmbiguousSessionError,
] as const;

/** Exit rules giving every look-up error the same code. */
export function lookupExits(code: number): ExitRule[] {
  return LOOKUP_ERRORS.map((type) => [type, code] as const);
}

/**
 * Checks that `-S`/`-L` come with `-t`.
 *
 * @throws {UsageError} a socket flag without a target.
 */
export function checkSocketNeedsTarget(flags: TargetFlags): void {
  if (
    (flags.socket !== undefined || flags.socketName !== undefined) && flags.target === undefined
  ) {
    throw new UsageError("-S/--socket requires -t/--target");
  }
}

/** Which pane an operation acts on (see {@link resolveTarget} for the priority). */
export type TargetSpec = TargetFlags;
