/**
 * A tmux control-mode client used as a wake-up: `tmux -N -C attach-session
 * -t =SESSION -f read-only,ignore-size` reports `%output %PANE ...` as a
 * pane gets output, and other notifications (`%window-close`, `%exit`, ...)
 * as panes and sessions change. It is read-only, never resizes the window
 * (`ignore-size`), never starts a server (`-N`), and exits when its stdin
 * closes, so it ends with its owner even when the owner is killed.
 *
 * @module
 */
import { exactSession } from "./quote.ts";
/** What a control client attaches through: a server that can start a tmux process. */
export interface Spawner {
  /** Starts `tmux [socket flags] ARGS...` with stdin and stdout piped. */
  spawn(args: string[]): Deno.ChildProcess;
}

/** Why {@link ControlClient.changed} returned. */
export type ControlWake = "changed" | "closed" | "timeout" | "aborted";

/** Options of {@link ControlClient.attach}. */
export interface AttachOptions {
  /** Only `%output` of this pane (`%N`) counts as a change; other panes' output is ignored. */
  pane?: string;
  /** Give up attaching after this many milliseconds (default 2000). */
  timeoutMs?: number;
  /** Give up attaching when this aborts. */
  signal?: AbortSignal;
  /** Receives the text of every `%output` of the pane (or of every pane, without `pane`). */
  onOutput?: (text: string, pane: string) => void;
}

/** How long {@link ControlClient.close} waits for tmux to leave after its stdin closed. */
const CLOSE_GRACE_MS = 1000;

/**
 * A control-mode client attached to one session. Every relevant
 * notification advances {@link ControlClient.seq}; waiters compare it with
 * the value they saw before looking at the pane, so nothing is missed.
 */
export class ControlClient implements AsyncDisposable {
  #seq = 0;
  #closed = false;
  #lastOutputAt = performance.now();
  #wakers = new Set<() => void>();
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  readonly #pane?: string;
  readonly #onOutput?: (text: string, pane: string) => void;
  #attached?: (ok: boolean) => void;

  private constructor(child: Deno.ChildProcess, options: AttachOptions) {
    this.#child = child;
    this.#pane = options.pane;
    this.#onOutput = options.onOutput;
    this.#stdin = child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /**
   * Attaches a control client to `session` (matched exactly). Returns `null`
   * when it can't attach (no such session, no server, too slow, an old tmux);
   * the caller then polls instead.
   *
   * @example
   * ```ts ignore
   * await using client = await ControlClient.attach(new Server({ path: sock }), "work", { pane: "%3" });
   * ```
   * @throws {TmuxNotFoundError} tmux is not on PATH.
   */
  static async attach(
    server: Spawner,
    session: string,
    options: AttachOptions = {},
  ): Promise<ControlClient | null> {
    const child = server.spawn(
      ["-N", "-C", "attach-session", "-t", exactSession(session), "-f", "read-only,ignore-size"],
    );
    const client = new ControlClient(child, options);
    const attached = new Promise<boolean>((resolve) => client.#attached = resolve);
    const timer = setTimeout(() => client.#attached?.(false), options.timeoutMs ?? 2000);
    const onAbort = () => client.#attached?.(false);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    try {
      if (await attached) return client;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    await client.close();
    return null;
  }

  /** Advances on every relevant notification (and when the client ends). */
  get seq(): number {
    return this.#seq;
  }

  /**
   * When the pane (or, without `pane`, any pane of the session) last printed:
   * the `performance.now()` of its last `%output`, or of the moment the
   * client attached when it has printed nothing since.
   */
  get lastOutputAt(): number {
    return this.#lastOutputAt;
  }

  /** Whether the client has ended (its session or server went away, or it was closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Resolves when {@link seq} moves past `since` (at once if it already
   * has), when the client ends, after `timeoutMs`, or when `signal` aborts.
   */
  changed(since: number, timeoutMs: number, signal?: AbortSignal): Promise<ControlWake> {
    if (signal?.aborted) return Promise.resolve("aborted");
    if (this.#closed) return Promise.resolve("closed");
    if (this.#seq > since) return Promise.resolve("changed");
    return new Promise((resolve) => {
      const finish = (wake: ControlWake) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wakers.delete(waker);
        resolve(wake);
      };
      const waker = () => finish(this.#closed ? "closed" : "changed");
      const onAbort = () => finish("aborted");
      const timer = setTimeout(() => finish("timeout"), Math.max(0, timeoutMs));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wakers.add(waker);
    });
  }

  /**
   * Has tmux run a command as this client, without waiting for its answer
   * (one process less than a call of its own). Only plain arguments (pane
   * ids, option names: letters, digits and `%:._=-`) are sent; `false` when
   * an argument is not plain or the client has ended. A command sent before
   * {@link close} has run when close returns (tmux reads its stdin in order).
   */
  send(args: readonly string[]): boolean {
    if (this.#closed || !args.every((arg) => /^[\w%:.=-]+$/.test(arg))) return false;
    this.#stdin.write(new TextEncoder().encode(`${args.join(" ")}\n`)).catch(() => {});
    return true;
  }

  /**
   * Detaches: closes tmux's stdin (tmux then exits), kills it if it has not
   * left within a second, and waits until the process is gone.
   */
  async close(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, CLOSE_GRACE_MS);
    try {
      await this.#child.status;
      await this.#reading;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #wake(): void {
    this.#seq++;
    for (const waker of [...this.#wakers]) waker();
  }

  async #read(): Promise<void> {
    let inBlock = false;
    let pending = "";
    try {
      for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n")) !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          inBlock = this.#handle(line, inBlock);
        }
      }
    } catch { /* the stream broke: treat it as the end */ }
    this.#closed = true;
    this.#attached?.(false);
    this.#wake();
  }

  /** Handles one line; returns whether a command's output block is open. */
  #handle(line: string, inBlock: boolean): boolean {
    if (inBlock) {
      if (line.startsWith("%end ") || line.startsWith("%error ")) {
        // The first block answers the attach command itself.
        if (this.#attached) this.#lastOutputAt = performance.now();
        this.#attached?.(line.startsWith("%end "));
        this.#attached = undefined;
        return false;
      }
      return true;
    }
    if (line.startsWith("%begin ")) return true;
    if (line.startsWith("%output ") || line.startsWith("%extended-output ")) {
      const pane = line.split(" ", 2)[1];
      if (this.#pane === undefined || pane === this.#pane) {
        this.#lastOutputAt = performance.now();
        if (this.#onOutput && line.startsWith("%output ")) {
          this.#onOutput(decodeOutput(line.slice(9 + pane.length)), pane);
        }
        this.#wake();
      }
      return false;
    }
    // Anything else (window closed, layout changed, session gone, ...) may
    // concern the pane: let the waiter look.
    if (line.startsWith("%")) this.#wake();
    return false;
  }
}

/** `%output` data: tmux writes bytes below space and `\\` as three-digit octal escapes. */
export function decodeOutput(data: string): string {
  return data.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}
