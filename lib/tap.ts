/**
 * A tap on a pane's output: tmux's `pipe-pane -O` copies every byte the
 * pane's program writes into a private file (0600, in a 0700 folder of the
 * socket folder) for as long as the tap is open. Unlike the pane's grid,
 * the file is never trimmed, so output after a send is exact whatever the
 * pane's history holds; the bytes are rendered into lines by `render.ts`.
 *
 * A pane has one pipe at most. A pane whose pipe is someone else's is not
 * tapped, nor is one whose tap file can't be made (a read-only or full
 * disk): the caller then reads the grid and says when lines were lost. A
 * pipe whose file is ours but whose tool died (SIGKILL) is taken over.
 *
 * @module
 */
import { join } from "./path.ts";
import type { Pane } from "./pane.ts";
import { formatLiteral, shellWord } from "./quote.ts";
import { ensurePrivateDir } from "./safety.ts";

/** The private folder of taps and output files under a socket folder. */
export function privateDir(socketDir: string): string {
  return join(socketDir, ".ctmux");
}

/** An open (or about to be opened) tap on one pane. */
export class PaneTap {
  /** The file the pane's output goes to. */
  readonly file: string;
  readonly #pane: Pane;
  readonly #handle: Deno.FsFile;
  #offset = 0;
  #closed = false;

  private constructor(pane: Pane, file: string, handle: Deno.FsFile) {
    this.#pane = pane;
    this.file = file;
    this.#handle = handle;
  }

  /**
   * Makes the tap's private file for `pane` under `socketDir`; the pipe
   * itself starts with the tmux command list of {@link PaneTap.startArgs}
   * (run it in the same call as the send, so nothing is missed or early).
   * `null` when the pane already has a pipe that is not a leftover of ours.
   */
  static async create(pane: Pane, socketDir: string): Promise<PaneTap | null> {
    const dir = join(privateDir(socketDir), "tap");
    try {
      await ensurePrivateDir(privateDir(socketDir), "toolkit folder");
      await ensurePrivateDir(dir, "tap folder");
    } catch (error) {
      // A folder that can't be made (read-only, full, not ours): no tap; the grid is read instead.
      if (error instanceof Error) return null;
      throw error;
    }
    // Pane ids are per server: the server's pid tells two servers' `%0` apart.
    const prefix = `srv${pane.info.serverPid}-${pane.id.replace("%", "pane")}-`;
    if (pane.info.panePipe && !(await removeLeftovers(dir, prefix))) return null;
    const file = join(dir, `${prefix}${Deno.pid}-${crypto.randomUUID()}.out`);
    let handle: Deno.FsFile | undefined;
    try {
      handle = await Deno.open(file, { read: true, write: true, createNew: true, mode: 0o600 });
      // A disk with no room left takes the file but not its bytes: try one.
      await handle.write(new Uint8Array(1));
      await handle.truncate(0);
    } catch (error) {
      handle?.close();
      await Deno.remove(file).catch(() => {});
      if (error instanceof Error) return null;
      throw error;
    }
    return new PaneTap(pane, file, handle);
  }

  /** tmux arguments that open the pipe into this tap's file (`-O`: output only). */
  startArgs(): string[] {
    // tmux expands formats in the command, then runs it with /bin/sh.
    return [
      "pipe-pane",
      "-O",
      "-t",
      this.#pane.id,
      formatLiteral(`exec cat >> ${shellWord(this.file)}`),
    ];
  }

  /** The bytes written since the last read (empty when none). */
  read(): Uint8Array {
    const size = this.#handle.statSync().size;
    if (size <= this.#offset) return new Uint8Array(0);
    const buffer = new Uint8Array(size - this.#offset);
    this.#handle.seekSync(this.#offset, Deno.SeekMode.Start);
    let got = 0;
    while (got < buffer.length) {
      const n = this.#handle.readSync(buffer.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    this.#offset += got;
    return buffer.subarray(0, got);
  }

  /**
   * A tap on a file that an earlier tap left open with {@link PaneTap.keep}
   * (its pipe still copies the pane's output there), read from its start;
   * `null` when the file is gone. Closing it closes the pipe and removes it.
   */
  static async reopen(pane: Pane, file: string): Promise<PaneTap | null> {
    try {
      return new PaneTap(pane, file, await Deno.open(file, { read: true }));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return null;
      throw error;
    }
  }

  /**
   * Leaves the pipe open, its file moved to `dest` if given (the pipe keeps
   * writing to it), so a later process can {@link PaneTap.reopen} it; this
   * object is done with it.
   */
  async keep(dest?: string): Promise<void> {
    if (this.#closed) return;
    // On failure the tap stays open, for close().
    if (dest !== undefined && dest !== this.file) await Deno.rename(this.file, dest);
    this.#closed = true;
    this.#handle.close();
  }

  /** Closes the pipe (if it was opened) and removes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pane.server.run(["pipe-pane", "-t", this.#pane.id]).catch(() => {});
    this.#handle.close();
    await Deno.remove(this.file).catch(() => {});
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
async function removeLeftovers(dir: string, prefix: string): Promise<boolean> {
  let found = false;
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.startsWith(prefix)) {
      found = true;
      await Deno.remove(join(dir, entry.name)).catch(() => {});
    }
  }
  return found;
}
