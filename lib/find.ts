/**
 * Finding tmux sessions, registered or not: a session's line and the query
 * filter over it, how a socket is named, and the socket files of a folder.
 *
 * @module
 */
import { join } from "./path.ts";
import { TmuxToolError } from "./errors.ts";
import { checkPrivateDir } from "./safety.ts";
import type { ServerSession } from "./server.ts";
import type { Socket } from "./tmux.ts";

/** A session's line: `NAME (attached|detached, started CREATED)`. */
export function sessionLine(session: ServerSession): string {
  const state = session.attached ? "attached" : "detached";
  return `${session.name} (${state}, started ${session.created})`;
}

/** Sessions whose line contains `query`, ignoring case (everything for an empty query). */
export function filterSessions(sessions: ServerSession[], query: string): ServerSession[] {
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
  if (!checkPrivateDir(dir, "socket directory")) {
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
