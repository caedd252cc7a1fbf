/**
 * A pane's persistent output log: every byte the pane's program writes,
 * kept across tool calls so a read cursor (`cursor.ts`) can say "what came
 * after this point" whatever the pane's history still holds.
 *
 * tmux's `pipe-pane -O` copies the pane's output into GNU `split`, which
 * cuts it into numbered segments of {@link SEGMENT_BYTES} (`000000`,
 * `000001`, ...) in a private folder (0700, files 0600) under the session's
 * output folder, so kill-session and cleanup-sessions remove it with the
 * session. A byte's offset in the stream is exact: segment number ×
 * segment size + its place in the segment. When a segment starts, a small
 * filter script records how many lines the one before it holds (`lines`)
 * and removes the segment {@link KEEP_SEGMENTS} back, so the log holds at
 * most that many segments whatever the pane prints, with no tool running;
 * the line counts say exactly how many lines a cursor into a removed segment
 * lost.
 *
 * One log per pane: the folder is named after the server's pid, the pane id,
 * a random id of this log and the segment size. A pane whose pipe is not
 * ours is never taken over; a folder whose pipe is gone is replaced.
 *
 * @module
 */
import { concatBytes, readAt } from "./bytes.ts";
import { join } from "./path.ts";
import type { Pane } from "./pane.ts";
import type { Server } from "./server.ts";
import type { CallOptions } from "./tmux.ts";
import { pipeCommand, shellWord } from "./quote.ts";
import { ensurePrivateDir } from "./safety.ts";
import {
  ensureSessionOutputDir,
  type OutputOwner,
  ownerOfPane,
  sessionOutputDir,
} from "./output.ts";
import { pauseSync } from "./time.ts";

/** Bytes per segment of a pane's log. */
export const SEGMENT_BYTES = 1024 * 1024;

/** Segments a pane's log keeps (the oldest is removed as a new one starts). */
export const KEEP_SEGMENTS = 16;

/** Options of {@link PaneLog.open} (tests use small logs). */
export interface LogOptions {
  /** Bytes per segment (default {@link SEGMENT_BYTES}). */
  segmentBytes?: number;
  /** Segments kept (default {@link KEEP_SEGMENTS}). */
  keep?: number;
}

/** A byte range read from a log. */
export interface LogRead {
  /** The bytes. */
  bytes: Uint8Array;
  /** Where they start: later than asked when the segments before were removed. */
  from: number;
  /** Where they end. */
  to: number;
}

/** The file that says a log's split is running (its pipe is the pane's). */
const LIVE = "live";

/** The segment file names: six digits. */
const SEGMENT = /^\d{6}$/;

/**
 * The filter `split` runs for each segment (with `$FILE` its path): note
 * the previous segment's line count, remove the one `KEEP` back, then copy
 * the segment's bytes into its file.
 */
function filterScript(keep: number): string {
  return [
    "d=${FILE%/*}; n=$((1${FILE##*/} - 1000000))",
    'if [ "$n" -gt 0 ]; then',
    "  p=$(printf %06d $((n - 1)))",
    '  echo "$p $(wc -l < "$d/$p")" >> "$d/lines"',
    "fi",
    `if [ "$n" -ge ${keep} ]; then rm -f "$d/$(printf %06d $((n - ${keep})))"; fi`,
    'exec cat > "$FILE"',
    "",
  ].join("\n");
}

/**
 * How an offset taken "now" waits for bytes in flight to land (see
 * {@link PaneLog.end}): looks every 2 ms until the end stayed the same for
 * 3 looks in a row (6 ms), for at most 30 looks.
 */
const SETTLE_STEP_MS = 2;
const SETTLE_STILL = 3;
const SETTLE_MAX_STEPS = 30;
/** How many settle steps a new log's folder may take to appear (its shell makes it). */
const FOLDER_WAIT_STEPS = 100;

/** The folder of a session's pane logs. */
function logsDir(socketDir: string, owner: OutputOwner): string {
  return join(sessionOutputDir(socketDir, owner), "log");
}

/** Makes (or checks) the private folders down to a session's log folder. */
function ensureLogsDir(socketDir: string, owner: OutputOwner): string {
  ensureSessionOutputDir(socketDir, owner);
  const dir = logsDir(socketDir, owner);
  ensurePrivateDir(dir, "log folder");
  return dir;
}

/** The start of a pane's log folder name: its server and pane (`srv4242-pane%3-`). */
function panePrefix(pane: Pane): string {
  return `srv${pane.info.serverPid}-pane${pane.id}-`;
}

/** A started log's tmux command, its id and segment size. */
export interface LogStart {
  /** `pipe-pane` arguments, to run alone or at the end of a command list. */
  args: string[];
  /** The new log's id. */
  id: string;
  /** Bytes per segment. */
  segmentBytes: number;
}

/** Stand-ins for the tmux formats of a log folder's name (they survive the escaping). */
const SERVER_PID = "\u0001pid\u0001";
const PANE_ID = "\u0001pane\u0001";

/**
 * Makes the private folders of a session's logs and the filter script, and
 * returns the `pipe-pane` arguments that start a new log of the pane
 * `target` (a pane id; `undefined`: the current pane, which right after a
 * `new-session` in the same command list is the new session's). The pane's
 * folder is named by tmux itself
 * (`#{pid}`, `#{pane_id}`) and made by the pipe's shell, so the arguments
 * need no look-up of the pane first.
 *
 * @throws {UnsafePathError} a folder on the way is not private to the user.
 * @throws {Deno.errors.PermissionDenied} (and other fs errors) the folders can't be made.
 */
export async function logStart(
  socketDir: string,
  owner: OutputOwner,
  target: string | undefined,
  options: LogOptions = {},
): Promise<LogStart> {
  const segmentBytes = Math.max(1, Math.floor(options.segmentBytes ?? SEGMENT_BYTES));
  const keep = Math.max(2, Math.floor(options.keep ?? KEEP_SEGMENTS));
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const dir = ensureLogsDir(socketDir, owner);
  const filter = join(dir, `filter-${keep}`);
  await Deno.writeTextFile(filter, filterScript(keep), { mode: 0o600 });
  const folder = join(dir, `srv${SERVER_PID}-pane${PANE_ID}-${id}-${segmentBytes}`);
  // `live` is there while split runs: once the pipe is closed or replaced (someone else's
  // pipe-pane), split ends and the shell removes it, so the folder is no longer this pane's log.
  const live = shellWord(`${folder}/${LIVE}`);
  const command = `umask 077; mkdir -m 700 ${shellWord(folder)} && : > ${live} && ` +
    `SHELL=/bin/sh split -d -a 6 -b ${segmentBytes} ` +
    `--filter=${shellWord(`. ${shellWord(filter)}`)} - ${shellWord(`${folder}/`)}; rm -f ${live}`;
  const expanded = pipeCommand(command).replaceAll(SERVER_PID, "#{pid}")
    .replaceAll(PANE_ID, "#{pane_id}");
  const at = target === undefined ? [] : ["-t", target];
  return { args: ["pipe-pane", "-O", ...at, expanded], id, segmentBytes };
}

/** A pane's persistent output log. */
export class PaneLog {
  /** The log's folder. */
  readonly dir: string;
  /** This log's random id (a new log of the same pane has another). */
  readonly id: string;
  /** Bytes per segment. */
  readonly segmentBytes: number;
  /** The pane. */
  readonly pane: Pane;

  private constructor(pane: Pane, dir: string, id: string, segmentBytes: number) {
    this.pane = pane;
    this.dir = dir;
    this.id = id;
    this.segmentBytes = segmentBytes;
  }

  /**
   * The pane's live log, or `null` when it has none: no folder of ours, or
   * its pipe is off (the pane's pipe then is not the log's).
   */
  static find(pane: Pane, socketDir: string): PaneLog | null {
    if (!pane.info.panePipe) return null;
    const [name] = PaneLog.#folders(pane, socketDir);
    const log = name === undefined ? null : PaneLog.#fromName(pane, socketDir, name);
    // A folder whose split has ended is not the pane's pipe any more.
    return log && exists(join(log.dir, LIVE)) ? log : null;
  }

  /**
   * The pane's live log, started now if it has none. `null` when the pane's
   * output is piped elsewhere (a pipe that is not a log of ours) or the
   * folder can't be made.
   */
  static async open(
    pane: Pane,
    socketDir: string,
    options: LogOptions = {},
  ): Promise<PaneLog | null> {
    const live = PaneLog.find(pane, socketDir);
    if (live !== null || pane.info.panePipe) return live;
    const dir = logsDir(socketDir, ownerOfPane(pane));
    let lock: Deno.FsFile;
    try {
      ensureLogsDir(socketDir, ownerOfPane(pane));
      lock = await Deno.open(join(dir, ".lock"), { write: true, create: true, mode: 0o600 });
      await lock.lock(true);
    } catch (error) {
      if (error instanceof Error) return null;
      throw error;
    }
    try {
      // Another tool may have started the log meanwhile: ask tmux again.
      const piped = (await pane.server.run(
        ["display-message", "-p", "-t", pane.id, "#{pane_pipe}"],
      )).trim() === "1";
      if (piped) {
        pane.info.panePipe = true;
        return PaneLog.find(pane, socketDir);
      }
      return await PaneLog.#start(pane, socketDir, options);
    } catch (error) {
      if (error instanceof Error) return null;
      throw error;
    } finally {
      lock.close();
    }
  }

  /** Starts a new log of the pane (under the lock of its session's log folder). */
  static async #start(pane: Pane, socketDir: string, options: LogOptions): Promise<PaneLog | null> {
    const dir = logsDir(socketDir, ownerOfPane(pane));
    // Logs of this pane whose pipe is gone are of no use any more.
    for (const old of PaneLog.#folders(pane, socketDir)) {
      await Deno.remove(join(dir, old), { recursive: true }).catch(() => {});
    }
    const start = await logStart(socketDir, ownerOfPane(pane), pane.id, options);
    const log = new PaneLog(
      pane,
      join(dir, `${panePrefix(pane)}${start.id}-${start.segmentBytes}`),
      start.id,
      start.segmentBytes,
    );
    await pane.server.run(start.args);
    // The pane object now says what tmux would: its output is piped (into this log).
    pane.info.panePipe = true;
    // The pipe's shell makes the folder: wait for it, so this process finds the log from now on.
    for (let i = 0; i < FOLDER_WAIT_STEPS; i++) {
      if (exists(join(log.dir, LIVE))) return log;
      pauseSync(SETTLE_STEP_MS);
    }
    return null;
  }

  /** Stops the log (the pane's pipe is closed) and removes its folder. */
  async close(): Promise<void> {
    await this.pane.server.run(["pipe-pane", "-t", this.pane.id]).catch(() => {});
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** The offset of the first byte the log still holds. */
  start(): number {
    const segments = this.#segments();
    return segments.length === 0 ? 0 : segments[0] * this.segmentBytes;
  }

  /**
   * The offset of the log's end. With `settle`, bytes tmux has taken from the
   * pane but not yet written through the pipe are waited for: the end is
   * read until it stayed the same for 6 ms (at most about 60 ms while the
   * pane keeps printing). An offset taken "now" then counts what was on the
   * pane's screen before it, unless the pipe stalled longer than that (a
   * heavily loaded machine, a new segment's filter starting): bytes that land
   * later are read as coming after the offset (a cursor then repeats them,
   * never skips them).
   */
  end(settle = false): number {
    let end = this.#end();
    let still = 0;
    for (let step = 0; settle && still < SETTLE_STILL && step < SETTLE_MAX_STEPS; step++) {
      pauseSync(SETTLE_STEP_MS);
      const next = this.#end();
      still = next === end ? still + 1 : 0;
      end = next;
    }
    return end;
  }

  /**
   * The log's bytes from `from` up to `to` (default: its end now). When the
   * segments holding `from` have been removed, reading starts at the oldest
   * one kept (`from` of the result says where).
   */
  read(from: number, to?: number): LogRead {
    // One listing of the folder gives both ends (a read is a hot path of waits).
    const segments = this.#segments();
    to ??= this.#endOf(segments);
    const chunks: Uint8Array[] = [];
    let at = from;
    const first = segments.length === 0 ? 0 : segments[0] * this.segmentBytes;
    if (at < first) at = first;
    const begin = at;
    while (at < to) {
      const segment = Math.floor(at / this.segmentBytes);
      const within = at - segment * this.segmentBytes;
      const want = Math.min(this.segmentBytes - within, to - at);
      const bytes = this.#readSegment(segment, within, want);
      if (bytes === null) {
        // Removed while reading: go on from the oldest segment kept.
        const next = this.start();
        if (next <= at) break;
        return this.read(next, to);
      }
      chunks.push(bytes);
      at += bytes.length;
      if (bytes.length < want) break;
    }
    return { bytes: concatBytes(chunks), from: begin, to: at };
  }

  /**
   * How many line breaks the pane's output holds before `offset` (from the
   * log's start), counting removed segments too: their counts were noted as
   * they were completed.
   */
  linesBefore(offset: number): number {
    const segment = Math.floor(offset / this.segmentBytes);
    const counts = this.#lineCounts();
    let lines = 0;
    for (let s = 0; s < segment; s++) lines += counts.get(s) ?? 0;
    const within = offset - segment * this.segmentBytes;
    const bytes = within > 0 ? this.#readSegment(segment, 0, within) : new Uint8Array(0);
    return lines + countLines(bytes ?? new Uint8Array(0));
  }

  /** The line-break count of every completed segment (removed ones included). */
  #lineCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    let text = "";
    try {
      text = Deno.readTextFileSync(join(this.dir, "lines"));
    } catch { /* no segment completed yet */ }
    for (const line of text.split("\n")) {
      const [segment, count] = line.trim().split(/\s+/);
      if (SEGMENT.test(segment ?? "") && /^\d+$/.test(count ?? "")) {
        counts.set(Number(segment), Number(count));
      }
    }
    return counts;
  }

  /** The segment numbers there now, in order. */
  #segments(): number[] {
    const segments: number[] = [];
    try {
      for (const entry of Deno.readDirSync(this.dir)) {
        if (entry.isFile && SEGMENT.test(entry.name)) segments.push(Number(entry.name));
      }
    } catch { /* the folder is gone: an empty log */ }
    return segments.sort((a, b) => a - b);
  }

  #end(): number {
    return this.#endOf(this.#segments());
  }

  /** The log's end, given its segment numbers. */
  #endOf(segments: number[]): number {
    const last = segments.at(-1);
    if (last === undefined) return 0;
    try {
      return last * this.segmentBytes + Deno.statSync(this.#segmentPath(last)).size;
    } catch {
      return last * this.segmentBytes;
    }
  }

  #segmentPath(segment: number): string {
    return join(this.dir, String(segment).padStart(6, "0"));
  }

  /** Up to `length` bytes of a segment from `position`; `null` when it is gone. */
  #readSegment(segment: number, position: number, length: number): Uint8Array | null {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.#segmentPath(segment), { read: true });
    } catch {
      return null;
    }
    try {
      return readAt(file, position, length);
    } finally {
      file.close();
    }
  }

  /** The names of this pane's log folders (any log id), the newest first. */
  static #folders(pane: Pane, socketDir: string): string[] {
    const found: { name: string; at: number }[] = [];
    const prefix = panePrefix(pane);
    const dir = logsDir(socketDir, ownerOfPane(pane));
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (!entry.isDirectory || !entry.name.startsWith(prefix)) continue;
        let at = 0;
        try {
          at = Deno.statSync(join(dir, entry.name)).mtime?.getTime() ?? 0;
        } catch { /* removed meanwhile */ }
        found.push({ name: entry.name, at });
      }
    } catch { /* no logs yet */ }
    return found.sort((a, b) => b.at - a.at).map((f) => f.name);
  }

  static #fromName(pane: Pane, socketDir: string, name: string): PaneLog | null {
    const match = /-([0-9a-f]{8})-(\d+)$/.exec(name);
    if (!match) return null;
    return new PaneLog(
      pane,
      join(logsDir(socketDir, ownerOfPane(pane)), name),
      match[1],
      Number(match[2]),
    );
  }
}

/**
 * Stops the output logs of a session's panes on `server` (cleanup-sessions
 * removes a live session's entry, and its output folder with the logs):
 * the pipe of each pane whose log folder is there is closed. Nothing when
 * the session has no logs; failures are ignored (bookkeeping).
 */
export async function stopSessionLogs(
  server: Server,
  socketDir: string,
  session: string,
  call: CallOptions = {},
): Promise<void> {
  const panes: { serverPid: number; pane: string }[] = [];
  try {
    for await (
      const entry of Deno.readDir(logsDir(socketDir, { socket: server.socket, session }))
    ) {
      const match = /^srv(\d+)-pane(%\d+)-/.exec(entry.name);
      if (entry.isDirectory && match) panes.push({ serverPid: Number(match[1]), pane: match[2] });
    }
  } catch {
    return; // no logs
  }
  if (panes.length === 0) return;
  try {
    const pid = Number((await server.run(["display-message", "-p", "#{pid}"], call)).trim());
    for (const { serverPid, pane } of panes) {
      if (serverPid === pid) await server.run(["pipe-pane", "-t", pane], call).catch(() => {});
    }
  } catch { /* no server: no pipes to close */ }
}

/** Whether `path` exists. */
function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Line breaks in `bytes`. */
export function countLines(bytes: Uint8Array): number {
  let lines = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lines++;
  return lines;
}
