/**
 * A tap on a pane's output: tmux's `pipe-pane -O` copies every byte the
 * pane's program writes into a private file (0600, in a 0700 folder of the
 * socket folder) for as long as the tap is open. Unlike the pane's grid,
 * the file is never trimmed, so output after a send is exact whatever the
 * pane's history holds; the bytes are rendered into lines by `render.ts`.
 *
 * A pane has one pipe at most. When the pane has its persistent output log
 * (`log.ts`: the read cursors' log), {@link PaneTap.open} reads that log
 * from its end instead of opening a pipe of its own. A pane whose pipe is
 * someone else's is not tapped, nor is one whose tap file can't be made (a
 * read-only or full disk): the caller then reads the grid and says when
 * lines were lost. A pipe whose file is ours but whose tool died (SIGKILL)
 * is taken over. A wait closes its temporary pipe through its control-mode
 * client as it ends ({@link PaneTap.closeVia}): one tmux process less.
 *
 * @module
 */
import { PaneLog } from "./log.ts";
import { join } from "./path.ts";
import type { Pane } from "./pane.ts";
import { removeQuietly } from "./fs_errors.ts";
import { pipeCommand, shellWord } from "./quote.ts";
import { privateDir } from "./output.ts";
import { ensurePrivateDir } from "./safety.ts";
import { readAt } from "./bytes.ts";

/** Whether a tap may start the pane's output log: yes, no, or a test of the pane. */
export type LogStart = boolean | ((pane: Pane) => Promise<boolean>);

/**
 * An open (or about to be opened) tap on one pane: a temporary file of its
 * own, or a reader of the pane's persistent output log (`log.ts`) from the
 * offset where it was opened.
 */
export class PaneTap {
  /** The file the pane's output goes to (a temporary tap), or the log's folder. */
  readonly file: string;
  readonly #pane: Pane;
  readonly #handle: Deno.FsFile | null;
  readonly #log: PaneLog | null;
  #offset = 0;
  #startOffset = 0;
  #closed = false;
  #pipeClosed = false;

  private constructor(pane: Pane, file: string, handle: Deno.FsFile | null, log: PaneLog | null) {
    this.#pane = pane;
    this.file = file;
    this.#handle = handle;
    this.#log = log;
  }

  /**
   * A tap for a wait or a run: when the pane has its persistent output log,
   * a reader of it from its end now (there is one pipe per pane: the log's
   * is reused, and {@link PaneTap.startArgs} is then empty); else a
   * temporary tap of its own (a private file the pipe fills). `null` when neither is
   * possible. `settle: false` skips waiting (a few milliseconds) for bytes
   * still in flight from the pane: for a reader that finds its output by
   * marks of its own, earlier bytes don't matter. `startLog` starts the
   * pane's log first when it has none and no other pipe.
   */
  static async open(
    pane: Pane,
    socketDir: string,
    options: { settle?: boolean; startLog?: LogStart } = {},
  ): Promise<PaneTap | null> {
    const start = options.startLog ?? false;
    const log = PaneLog.find(pane, socketDir) ??
      (!pane.info.panePipe && (typeof start === "boolean" ? start : await start(pane))
        ? await PaneLog.open(pane, socketDir)
        : null);
    if (log === null) return PaneTap.#create(pane, socketDir);
    const tap = new PaneTap(pane, log.dir, null, log);
    // Bytes the pane printed before now must not count as output after it.
    tap.#offset = tap.#startOffset = log.end(options.settle ?? true);
    return tap;
  }

  /**
   * A tap that an earlier one left open with {@link PaneTap.keep}, read from
   * its start: its file (its pipe still copies the pane's output there), or,
   * for a reader of the pane's log, the log from `logOffset`. `null` when the
   * file or the log is gone. Closing a reopened file tap closes the pipe and
   * removes the file; a log reader leaves the log as it is.
   */
  static reopen(
    pane: Pane,
    file: string,
    log?: { socketDir: string; offset: number },
  ): PaneTap | null {
    if (log !== undefined) {
      const found = PaneLog.find(pane, log.socketDir);
      if (found === null || found.dir !== file) return null;
      const tap = new PaneTap(pane, found.dir, null, found);
      tap.#offset = tap.#startOffset = log.offset;
      return tap;
    }
    try {
      return new PaneTap(pane, file, Deno.openSync(file, { read: true }), null);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /** Where a log reader began, in the log's offsets (what {@link PaneTap.reopen} takes back). */
  get startOffset(): number {
    return this.#startOffset;
  }

  /**
   * Leaves the pipe open, a file tap's file moved to `dest` if given (the
   * pipe keeps writing to it), so a later process can {@link PaneTap.reopen}
   * it; this object is done with it. A log reader has nothing to leave: the
   * log stays open anyway.
   */
  keep(dest?: string): void {
    if (this.#closed) return;
    if (this.#handle === null) {
      this.#closed = true;
      return;
    }
    // On failure the tap stays open, for close().
    if (dest !== undefined && dest !== this.file) Deno.renameSync(this.file, dest);
    this.#closed = true;
    this.#handle.close();
  }

  /** The pane's log this tap reads, if it reads one. */
  get log(): PaneLog | null {
    return this.#log;
  }

  /** Where the next read starts, in the log's offsets (for a log-backed tap). */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Makes the tap's private file for `pane` under `socketDir`; the pipe
   * itself starts with the tmux command list of {@link PaneTap.startArgs}
   * (run it in the same call as the send, so nothing is missed or early).
   * `null` when the pane already has a pipe that is not a leftover of ours.
   */
  static #create(pane: Pane, socketDir: string): PaneTap | null {
    const dir = join(privateDir(socketDir), "tap");
    try {
      ensurePrivateDir(privateDir(socketDir), "toolkit folder");
      ensurePrivateDir(dir, "tap folder");
    } catch (error) {
      // A folder that can't be made (read-only, full, not ours): no tap; the grid is read instead.
      if (error instanceof Error) return null;
      throw error;
    }
    // Pane ids are per server: the server's pid tells two servers' `%0` apart.
    const prefix = `srv${pane.info.serverPid}-${pane.id.replace("%", "pane")}-`;
    if (pane.info.panePipe && !removeLeftovers(dir, prefix)) return null;
    const file = join(dir, `${prefix}${Deno.pid}-${crypto.randomUUID()}.out`);
    let handle: Deno.FsFile | undefined;
    try {
      handle = Deno.openSync(file, { read: true, write: true, createNew: true, mode: 0o600 });
      // A disk with no room left takes the file but not its bytes: try one.
      handle.writeSync(new Uint8Array(1));
      handle.truncateSync(0);
    } catch (error) {
      handle?.close();
      removeQuietly(file);
      if (error instanceof Error) return null;
      throw error;
    }
    return new PaneTap(pane, file, handle, null);
  }

  /**
   * tmux arguments that open the pipe into this tap's file (`-O`: output
   * only); none for a reader of the pane's log (its pipe is open already).
   */
  startArgs(): string[] {
    if (this.#log !== null) return [];
    return [
      "pipe-pane",
      "-O",
      "-t",
      this.#pane.id,
      pipeCommand(`exec cat >> ${shellWord(this.file)}`),
    ];
  }

  /** The bytes written since the last read (empty when none). */
  read(): Uint8Array {
    if (this.#log !== null) {
      const { bytes, to } = this.#log.read(this.#offset);
      this.#offset = to;
      return bytes;
    }
    if (this.#handle === null) return new Uint8Array(0);
    const size = this.#handle.statSync().size;
    if (size <= this.#offset) return new Uint8Array(0);
    const bytes = readAt(this.#handle, this.#offset, size - this.#offset);
    this.#offset += bytes.length;
    return bytes;
  }

  /**
   * Closes the pipe through a control-mode client's `send` (see
   * `ControlClient.send`) when one is at hand: {@link close} then only
   * removes the file. Nothing for a log reader.
   */
  closeVia(send: (args: readonly string[]) => boolean): void {
    if (this.#handle !== null && !this.#pipeClosed) {
      this.#pipeClosed = send(["pipe-pane", "-t", this.#pane.id]);
    }
  }

  /** Closes the pipe (if it was opened) and removes the file; a log reader leaves the log as it is. */
  async close(): Promise<void> {
    if (this.#closed || this.#handle === null) return;
    this.#closed = true;
    if (!this.#pipeClosed) {
      await this.#pane.server.run(["pipe-pane", "-t", this.#pane.id]).catch(() => {});
    }
    this.#handle.close();
    removeQuietly(this.file);
  }

  /** Same as {@link PaneTap.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Removes this pane's tap files left by tools that died mid-run; whether
 * there was one (the pane's pipe is then ours to replace).
 */
function removeLeftovers(dir: string, prefix: string): boolean {
  let found = false;
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile && entry.name.startsWith(prefix)) {
      found = true;
      removeQuietly(join(dir, entry.name));
    }
  }
  return found;
}
