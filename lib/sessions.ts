/**
 * Registered sessions as a whole: the status of every registry entry, read
 * with one `list-panes -a` call per distinct socket (sockets queried in
 * parallel, never a call per session), and which entries a cleanup removes.
 *
 * @module
 */
import { basename } from "./path.ts";
import { ServerNotRunningError, TmuxNotFoundError, TmuxToolError } from "./errors.ts";
import { healthFromPanes, type HealthStatus } from "./health.ts";
import { stopSessionLogs } from "./log.ts";
import { removeSessionOutput } from "./output.ts";
import {
  findPane,
  indexPanes,
  PANE_FORMAT,
  type PaneIndex,
  type PaneInfo,
  panesOfTarget,
  parsePanes,
  targetSession,
} from "./panes.ts";
import { FIELD_SEP } from "./quote.ts";
import { modeOfProgram, modeOfType } from "./run/modes.ts";
import { isUsableEntry, type Registry, type RegistryData, sessionNames } from "./registry.ts";
import { parseTimestamp } from "./time.ts";
import type { Server } from "./server.ts";
import type { CallOptions } from "./tmux.ts";

/**
 * A registered session's status as list-sessions shows it: `alive` (healthy),
 * `dead`, `missing`, `zombie`, `server` (server not running), `unknown`
 * (health could not be decided: tmux failed or timed out on its socket) or
 * `invalid` (an entry no tool can act on: not an object, or no usable
 * `socket` or `target`).
 */
export type SessionStatus =
  | "alive"
  | "dead"
  | "missing"
  | "zombie"
  | "server"
  | "unknown"
  | "invalid";

/** One registry entry with its status. */
export interface SessionState {
  /** Registry name. */
  name: string;
  /** The entry as stored (unknown fields included; anything, for an `invalid` one). */
  entry: unknown;
  /** Its status now. */
  status: SessionStatus;
  /** The program in its pane's foreground (`#{pane_current_command}`), when asked for and known. */
  program?: string;
}

/**
 * Whether a session's pane is `busy` (a foreground program other than the
 * session's own shell, REPL or debugger runs) or `idle` (its own program is
 * in front, waiting or working).
 */
export type SessionActivity = "busy" | "idle";

const STATUS_OF_HEALTH: Record<HealthStatus, SessionStatus> = {
  healthy: "alive",
  dead: "dead",
  missing: "missing",
  zombie: "zombie",
  server_not_running: "server",
};

/** One registered session, its fields checked (other tools may write anything there). */
export interface SessionSummary {
  /** Registry name. */
  name: string;
  /** Socket path. */
  socket: string | null;
  /** The socket's file name. */
  socketBasename: string | null;
  /** tmux target. */
  target: string | null;
  /** Session type. */
  type: string | null;
  /** Status now. */
  status: SessionStatus;
  /** Pane process id, when known. */
  pid: number | null;
  /** When registered. */
  createdAt: string | null;
  /** When last used. */
  lastActive: string | null;
  /** The program in the pane's foreground (asked for with `programs`; null otherwise or unknown). */
  program: string | null;
  /** `busy` or `idle` (alive sessions whose program was asked for; null otherwise). */
  activity: SessionActivity | null;
}

/** A session state with its fields checked; fields of the wrong type are null. */
export function summarizeSession({ name, entry, status, program }: SessionState): SessionSummary {
  const socket = text(entry, "socket");
  const pid = field(entry, "pid");
  const type = text(entry, "type");
  return {
    name,
    socket,
    socketBasename: socket === null ? null : basename(socket),
    target: text(entry, "target"),
    type: text(entry, "type"),
    status,
    pid: typeof pid === "number" ? pid : null,
    createdAt: text(entry, "created_at"),
    lastActive: text(entry, "last_active"),
    program: program ?? null,
    activity: status === "alive" && program !== undefined ? activityOf(type, program) : null,
  };
}

/**
 * `idle` when the foreground program is the session's own kind of program
 * (a shell for `shell`, Python for `python-repl`, gdb for `debugger`; for
 * another type, any of them), else `busy`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activityOf } from "./sessions.ts";
 * assert.equal(activityOf("shell", "bash"), "idle");
 * assert.equal(activityOf("shell", "less"), "busy");
 * assert.equal(activityOf("python-repl", "python3.12"), "idle");
 * ```
 */
export function activityOf(type: string | null, program: string): SessionActivity {
  const own = modeOfType(type ?? undefined);
  const front = modeOfProgram(program);
  const same = own === undefined ? front !== undefined : front === own;
  return same ? "idle" : "busy";
}

/** A field of a stored entry; `undefined` when the entry is not an object. */
function field(entry: unknown, key: string): unknown {
  return typeof entry === "object" && entry !== null && !Array.isArray(entry)
    ? (entry as Record<string, unknown>)[key]
    : undefined;
}

/** A string field as stored; anything else (other tools may write anything) is null. */
function text(entry: unknown, key: string): string | null {
  const value = field(entry, key);
  return typeof value === "string" ? value : null;
}

/**
 * What one socket's pane list turned out to be (indexed: one look-up per
 * entry, not a scan), with each pane's foreground program when asked for.
 */
type SocketPanes = { index: PaneIndex; programs: Map<string, string> } | null | "unknown";

/** Options of {@link sessionStates}. */
export interface StatesOptions extends CallOptions {
  /** Also read each pane's foreground program (in the same tmux call). */
  programs?: boolean;
}

/**
 * The status of every registered session, in name (code-point) order.
 *
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function sessionStates(
  data: RegistryData,
  serverOf: ServerOf,
  options: StatesOptions = {},
): Promise<SessionState[]> {
  const names = sessionNames(data);
  const sockets = new Set<string>();
  for (const name of names) {
    const entry = data.sessions[name];
    if (isUsableEntry(entry)) sockets.add(entry.socket);
  }
  const panesBySocket = new Map(
    await Promise.all(
      [...sockets].map(async (socket) =>
        [socket, await socketPanes(serverOf(socket), options)] as const
      ),
    ),
  );
  return names.map((name) => {
    const entry = data.sessions[name];
    if (!isUsableEntry(entry)) return { name, entry, status: "invalid" };
    const panes = panesBySocket.get(entry.socket);
    if (panes === undefined || panes === "unknown") return { name, entry, status: "unknown" };
    const candidates = panes && panesOfTarget(panes.index, entry.target);
    const status = STATUS_OF_HEALTH[healthFromPanes(candidates, entry.target).status];
    if (!options.programs || !candidates) return { name, entry, status };
    const pane = findPane(candidates, entry.target).pane;
    return { name, entry, status, program: pane && panes.programs.get(pane.paneId) };
  });
}

/** The server on a socket path (a context keeps one per socket). */
export type ServerOf = (socketPath: string) => Server;

/** One socket's panes; a tmux failure or timeout there leaves its sessions `unknown`. */
async function socketPanes(server: Server, options: StatesOptions): Promise<SocketPanes> {
  try {
    if (!options.programs) {
      const panes = await server.panes(options);
      return panes && { index: indexPanes(panes), programs: new Map() };
    }
    // The same one call, each row with the pane's foreground program as a last field.
    const format = `${PANE_FORMAT}${FIELD_SEP}#{pane_current_command}`;
    let stdout: string;
    try {
      stdout = await server.run(["list-panes", "-a", "-F", format], options);
    } catch (error) {
      if (error instanceof ServerNotRunningError) return null;
      throw error;
    }
    const panes: PaneInfo[] = [];
    const programs = new Map<string, string>();
    for (const row of stdout.split("\n")) {
      const cut = row.lastIndexOf(FIELD_SEP);
      const [pane] = cut === -1 ? [] : parsePanes(row.slice(0, cut));
      if (!pane) continue;
      panes.push(pane);
      programs.set(pane.paneId, row.slice(cut + 1));
    }
    return { index: indexPanes(panes), programs };
  } catch (error) {
    if (error instanceof TmuxNotFoundError || !(error instanceof TmuxToolError)) throw error;
    return "unknown";
  }
}

/** Which entries a cleanup removes. */
export interface CleanupPolicy {
  /** Every entry (`--all`); no health check is needed then. */
  all: boolean;
  /** Also entries created more than this many seconds ago; `0` means no age filter. */
  olderThanSeconds: number;
  /** The duration as the user wrote it, for the reason text (`older than 2h`). */
  olderThanLabel: string;
  /** "Now" in epoch seconds. */
  nowEpoch: number;
}

/** An entry a cleanup removes, and why. */
export interface CleanupItem {
  /** Registry name. */
  name: string;
  /**
   * `dead/missing/zombie`, `older than D` (both joined by ` + `), `all sessions mode`
   * or `invalid entry`.
   */
  reason: string;
}

/** The reason given to entries whose session is not healthy. */
export const UNHEALTHY_REASON = "dead/missing/zombie";

/** The reason given to every entry with `--all`. */
export const ALL_REASON = "all sessions mode";

/** The reason given to entries no tool can act on (status `invalid`). */
export const INVALID_REASON = "invalid entry";

/**
 * The entries of `data` that `policy` removes, in name order. Not healthy
 * means `dead`, `missing`, `zombie` or `server`; an `unknown` entry (its
 * health could not be decided) is kept unless `--all` or its age removes it;
 * an `invalid` one is always removed. An unparseable `created_at` counts as old.
 *
 * @throws {TmuxNotFoundError} tmux is not on PATH (health is needed).
 */
export async function selectForCleanup(
  data: RegistryData,
  policy: CleanupPolicy,
  serverOf: ServerOf,
  options: CallOptions = {},
): Promise<CleanupItem[]> {
  if (policy.all) return sessionNames(data).map((name) => ({ name, reason: ALL_REASON }));
  const items: CleanupItem[] = [];
  for (const { name, entry, status } of await sessionStates(data, serverOf, options)) {
    if (status === "invalid") {
      items.push({ name, reason: INVALID_REASON });
      continue;
    }
    const reasons: string[] = [];
    if (status !== "alive" && status !== "unknown") reasons.push(UNHEALTHY_REASON);
    if (policy.olderThanSeconds > 0 && isOlderThan(entry, policy)) {
      reasons.push(`older than ${policy.olderThanLabel}`);
    }
    if (reasons.length > 0) items.push({ name, reason: reasons.join(" + ") });
  }
  return items;
}

function isOlderThan(entry: unknown, policy: CleanupPolicy): boolean {
  const createdAt = field(entry, "created_at");
  const created = parseTimestamp(typeof createdAt === "string" ? createdAt : undefined);
  return created === undefined || policy.nowEpoch - created > policy.olderThanSeconds;
}

/** What a cleanup did (or, in a dry run, would do). */
export interface CleanupResult {
  /** The registry had no entries at all. */
  registryEmpty: boolean;
  /** The entries removed (or that would be). */
  items: CleanupItem[];
}

/**
 * tmux bound while the registry lock is held: a hung server must not keep
 * other writers waiting out their own lock timeout.
 */
const LOCKED_TMUX_TIMEOUT_MS = 2000;

/**
 * Removes the registry entries `policy` selects; tmux sessions are never
 * touched. Deciding and removing happen under one lock, so an entry added or
 * re-created meanwhile is judged as it is when removed. A dry run only reads.
 *
 * @throws {RegistryInvalidError} the registry can't be used (nothing is written).
 * @throws {RegistryLockTimeoutError} the lock was not acquired in time.
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function cleanupSessions(
  registry: Registry,
  serverOf: ServerOf,
  policy: CleanupPolicy,
  options: { dryRun?: boolean; signal?: AbortSignal; socketDir?: string } = {},
): Promise<CleanupResult> {
  const { signal } = options;
  const snapshot = await registry.read();
  if (sessionNames(snapshot).length === 0) return { registryEmpty: true, items: [] };
  if (options.dryRun) {
    return {
      registryEmpty: false,
      items: await selectForCleanup(snapshot, policy, serverOf, { signal }),
    };
  }
  return await registry.update(async (data) => {
    if (sessionNames(data).length === 0) return { registryEmpty: true, items: [] };
    const items = await selectForCleanup(data, policy, serverOf, {
      timeoutMs: LOCKED_TMUX_TIMEOUT_MS,
      signal,
    });
    const owners: { socket: { path: string }; session: string }[] = [];
    for (const { name } of items) {
      const entry = data.sessions[name];
      if (isUsableEntry(entry)) {
        owners.push({ socket: { path: entry.socket }, session: targetSession(entry.target) });
      }
      delete data.sessions[name];
    }
    if (options.socketDir !== undefined) {
      // Output files are bookkeeping: one that can't be removed does not fail the cleanup.
      for (const owner of owners) {
        await stopSessionLogs(serverOf(owner.socket.path), options.socketDir, owner.session, {
          timeoutMs: LOCKED_TMUX_TIMEOUT_MS,
          signal,
        });
        await removeSessionOutput(options.socketDir, owner).catch(() => {});
      }
    }
    return { registryEmpty: false, items };
  }, { signal });
}
