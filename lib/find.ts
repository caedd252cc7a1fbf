/**
 * Finding tmux sessions, registered or not: the sessions of one server from
 * one `list-sessions -F` call, and the socket files of a directory.
 *
 * @module
 */
import { join } from "./path.ts";
import { ServerNotRunningError, TmuxToolError } from "./errors.ts";
import { checkPrivateDir } from "./safety.ts";
import { formatTemplate, parseRows, type Socket, tmux, type TmuxCallOptions } from "./tmux.ts";

/** One tmux session as find-sessions shows it. */
export interface FoundSession {
  /** Session name. */
  name: string;
  /** Whether a client is attached. */
  attached: boolean;
  /** Creation time as tmux formats it (`#{t:session_created}`, e.g. `Wed Nov 25 09:59:33 2026`). */
  created: string;
}

const FIELDS = ["session_name", "session_attached", "t:session_created"] as const;

/** Every session of the server on `socket`, or `null` when no server answers there. */
export async function findSessions(
  socket: Socket,
  options: TmuxCallOptions = {},
): Promise<FoundSession[] | null> {
  let stdout: string;
  try {
    stdout = await tmux(["list-sessions", "-F", formatTemplate(FIELDS)], { ...options, socket });
  } catch (error) {
    if (error instanceof ServerNotRunningError) return null;
    throw error;
  }
  return parseRows(stdout).filter((row) => row.length === FIELDS.length).map((row) => ({
    name: row[0],
    attached: Number(row[1]) > 0,
    created: row[2],
  }));
}

/** A session's line: `NAME (attached|detached, started CREATED)`. */
export function sessionLine(session: FoundSession): string {
  const state = session.attached ? "attached" : "detached";
  return `${session.name} (${state}, started ${session.created})`;
}

/** Sessions whose line contains `query`, ignoring case (everything for an empty query). */
export function filterSessions(sessions: FoundSession[], query: string): FoundSession[] {
  const needle = query.toLowerCase();
  return sessions.filter((s) => sessionLine(s).toLowerCase().includes(needle));
}

/** How messages name a socket: `default socket`, `socket name 'N'`, `socket path 'P'`. */
export function socketDescription(socket: Socket): string {
  if (socket.path !== undefined) return `socket path '${socket.path}'`;
  if (socket.name !== undefined) return `socket name '${socket.name}'`;
  return "default socket";
}

/**
 * The socket files in `dir` (other files are skipped), in name order.
 *
 * @throws {TmuxToolError} `Socket directory not found: D` or `No sockets found under D`.
 * @throws {UnsafePathError} the directory belongs to someone else or is group/other-writable
 * (its sockets may be their servers).
 */
export async function socketFiles(dir: string): Promise<string[]> {
  if (!(await checkPrivateDir(dir, "socket directory"))) {
    throw new TmuxToolError(`Socket directory not found: ${dir}`);
  }
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      throw new TmuxToolError(`Socket directory not found: ${dir}`);
    }
    throw error;
  }
  const sockets: string[] = [];
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const path = join(dir, name);
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isSocket) sockets.push(path);
  }
  if (sockets.length === 0) throw new TmuxToolError(`No sockets found under ${dir}`);
  return sockets;
}
