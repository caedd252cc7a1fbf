/**
 * A run's output kept whole: when a caller bounds the output it gets back
 * (`maxLines`), the first and last lines are kept with one line between them
 * that says how many were left out and where the whole output is: a private
 * file (0600) under the toolkit's folder in the socket folder, one folder per
 * tmux session (per server), removed with the session by kill-session and
 * cleanup-sessions.
 *
 * @module
 */
import { join, resolve } from "./path.ts";
import { ensurePrivateDir } from "./safety.ts";
import type { Pane } from "./pane.ts";
import type { Socket } from "./tmux.ts";

/** The private folder of taps and output files under a socket folder. */
export function privateDir(socketDir: string): string {
  return join(socketDir, ".ctmux");
}

/** Output as returned: maybe cut, with the whole of it in a file when cut. */
export interface BoundedOutput {
  /** The text returned, lines joined by `\n` (with the note line in the middle when cut). */
  text: string;
  /** Whether lines were left out. */
  truncated: boolean;
  /** How many lines the whole output has. */
  linesTotal: number;
  /** The file holding the whole output, when cut. */
  outputFile?: string;
}

/** Which tmux session output files belong to: its server's socket and its name. */
export interface OutputOwner {
  /** The server's socket (two servers may each have a session of one name). */
  socket: Socket;
  /** The tmux session's name. */
  session: string;
}

/** The folder of a tmux session's output files. */
export function sessionOutputDir(socketDir: string, owner: OutputOwner): string {
  const server = owner.socket.path !== undefined
    ? `S:${resolve(owner.socket.path)}`
    : owner.socket.name !== undefined
    ? `L:${owner.socket.name}`
    : "default";
  // One path component each, whatever the names hold (`.` too, so never `..`).
  const part = (text: string) => encodeURIComponent(text).replaceAll(".", "%2E");
  return join(privateDir(socketDir), "output", part(server), part(owner.session));
}

/**
 * Makes (or checks) each private folder down to a session's output folder
 * (the toolkit's, `output`, the server's, the session's) and returns it.
 *
 * @throws {UnsafePathError} a folder on the way is not private to the user.
 */
export function ensureSessionOutputDir(
  socketDir: string,
  owner: OutputOwner,
): string {
  const dir = sessionOutputDir(socketDir, owner);
  ensurePrivateDir(privateDir(socketDir), "toolkit folder");
  ensurePrivateDir(join(privateDir(socketDir), "output"), "output folder");
  ensurePrivateDir(join(dir, ".."), "output folder");
  ensurePrivateDir(dir, "output folder");
  return dir;
}

/** Whose output files a pane's are: its server's socket and its session. */
export function ownerOfPane(pane: Pane): OutputOwner {
  return { socket: pane.server.socket, session: pane.session };
}

/**
 * Keeps at most `maxLines` of the `total` lines of `text` (`\n`-joined): the
 * first half and the last half, plus one note line; the whole output goes to
 * a new private file first.
 */
export async function boundOutput(
  text: string,
  total: number,
  maxLines: number | undefined,
  where: OutputOwner & { socketDir: string; runId: string },
): Promise<BoundedOutput> {
  if (maxLines === undefined || total <= maxLines) {
    return { text, truncated: false, linesTotal: total };
  }
  const dir = ensureSessionOutputDir(where.socketDir, where);
  const file = join(dir, `${where.runId}.txt`);
  await Deno.writeTextFile(file, total ? `${text}\n` : "", { createNew: true, mode: 0o600 });
  const head = Math.ceil(maxLines / 2);
  const tail = maxLines - head;
  const left = total - head - tail;
  let headEnd = -1;
  for (let i = 0; i < head; i++) headEnd = text.indexOf("\n", headEnd + 1);
  let tailStart = text.length;
  for (let i = 0; i < tail; i++) tailStart = text.lastIndexOf("\n", tailStart - 1);
  const note = `[... ${left} lines left out; all ${total} lines are in ${file} ...]`;
  const parts = [text.slice(0, headEnd), note];
  if (tail > 0) parts.push(text.slice(tailStart + 1));
  return { text: parts.join("\n"), truncated: true, linesTotal: total, outputFile: file };
}

/** Removes a tmux session's output files (nothing when it has none). */
export async function removeSessionOutput(socketDir: string, owner: OutputOwner): Promise<void> {
  await Deno.remove(sessionOutputDir(socketDir, owner), { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}
