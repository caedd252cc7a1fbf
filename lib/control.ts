/**
 * tmux control mode: a client (`tmux -N -C attach-session -t =SESSION -f
 * ignore-size`) that reports `%output %PANE ...` as panes get output, other
 * notifications (`%window-close`, `%exit`, ...) as panes and sessions change,
 * and answers the commands written on its stdin in `%begin ... %end` (or
 * `%error`) blocks, in order. It never resizes the window (`ignore-size`),
 * never starts a server (`-N`), and exits when its stdin closes, so it ends
 * with its owner even when the owner is killed.
 *
 * Two uses: a wake-up for waits (read-only, attached for one wait, or shared
 * by every wait on its session in a long-lived process), and the command
 * transport of a connected {@link Server}: one tmux command in about 0.1 ms
 * instead of a process start of about 3 ms.
 *
 * @module
 */
import { TmuxCommandError, TmuxTimeoutError, TmuxToolError } from "./errors.ts";
import { exactSession } from "./quote.ts";
import { DEFAULT_TMUX_TIMEOUT_MS } from "./tmux.ts";

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
  /**
   * Attach read-only (default true). A client that runs commands through
   * {@link ControlClient.command} must not be: tmux refuses most commands of
   * a read-only client.
   */
  readOnly?: boolean;
}

/** Bounds of one command sent through {@link ControlClient.command}. */
export interface ControlCommandOptions {
  /** Reject after this many milliseconds (default 5000, as the process runner). */
  timeoutMs?: number;
  /** Reject when this aborts (with its reason). */
  signal?: AbortSignal;
}

/**
 * The notifications of one pane, through a client of its session: a
 * sequence number that moves on each change, and a wait for it to move.
 */
export interface PaneEvents {
  /** Advances on every relevant notification (and when the client ends). */
  readonly seq: number;
  /** Whether the client has ended. */
  readonly closed: boolean;
  /**
   * When the pane last printed: the `performance.now()` of its last
   * `%output`, or of the moment the client attached when it has printed
   * nothing since.
   */
  readonly lastOutputAt: number;
  /** Resolves when {@link seq} moves past `since`, the client ends, time passes or `signal` aborts. */
  changed(since: number, timeoutMs: number, signal?: AbortSignal): Promise<ControlWake>;
  /** Stops using the events (detaches a client of one's own; a shared one stays). */
  close(): Promise<void>;
  /**
   * Has tmux run a command through the events' client without waiting for
   * its answer; `false` when it cannot (the caller then runs it itself).
   */
  send?(args: readonly string[]): boolean;
  /**
   * Hands `listener` the text of every `%output` of the pane from now on
   * (decoded); returns what stops it. tmux may leave output out of control
   * mode (a client that falls behind): a listener must not rely on seeing
   * everything.
   */
  listen?(listener: (text: string) => void): () => void;
}

/**
 * A command's reply never came: the control client ended after the command
 * was written (its session or server went away), so it may or may not have run.
 */
export class ControlClosedError extends TmuxToolError {
  /** The error's name. */
  override name = "ControlClosedError";
  /**
   * Creates the error.
   * @param subcommand The tmux subcommand.
   * @param written Whether the command had been written to tmux.
   */
  constructor(readonly subcommand: string, readonly written: boolean) {
    super(
      written
        ? `tmux ${subcommand}: the control connection closed before the reply (it may have run)`
        : `tmux ${subcommand}: the control connection is closed`,
    );
  }
}

/** How long {@link ControlClient.close} waits for tmux to leave after its stdin closed. */
const CLOSE_GRACE_MS = 1000;

/** One command line written to the client, waiting for its blocks. */
interface Pending {
  subcommand: string;
  /** How many commands the line holds: tmux answers each with a block, or stops at an error. */
  commands: number;
  output: string[];
  settled: boolean;
  resolve: (stdout: string) => void;
  reject: (error: unknown) => void;
}

const encoder = new TextEncoder();

/**
 * A control-mode client attached to one session. Every relevant
 * notification advances a sequence number; waiters compare it with the
 * value they saw before looking at the pane, so nothing is missed.
 */
export class ControlClient implements AsyncDisposable {
  #notices = 0;
  #allOutput = 0;
  readonly #paneOutput = new Map<string, number>();
  readonly #attachedAt = performance.now();
  #lastOutputAt = this.#attachedAt;
  readonly #paneOutputAt = new Map<string, number>();
  #closed = false;
  #session = "";
  readonly #wakers = new Set<{ pane?: string; wake: () => void }>();
  readonly #pending: Pending[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  readonly #pane?: string;
  readonly #onOutput?: (text: string, pane: string) => void;
  readonly #listeners = new Set<{ pane?: string; hear: (text: string) => void }>();
  #attached?: (ok: boolean) => void;

  private constructor(child: Deno.ChildProcess, options: AttachOptions) {
    this.#child = child;
    this.#pane = options.pane;
    this.#onOutput = options.onOutput;
    this.#stdin = child.stdin.getWriter();
    this.#reading = this.#read();
  }

  /**
   * Attaches a control client to `session` (matched exactly; `undefined`:
   * the session tmux picks, its most recently used). Returns `null` when it
   * can't attach (no such session, no server, too slow, an old tmux); the
   * caller then polls or spawns instead.
   *
   * @example
   * ```ts ignore
   * await using client = await ControlClient.attach(new Server({ path: sock }), "work", { pane: "%3" });
   * ```
   * @throws {TmuxNotFoundError} tmux is not on PATH.
   */
  static async attach(
    server: Spawner,
    session: string | undefined,
    options: AttachOptions = {},
  ): Promise<ControlClient | null> {
    const target = session === undefined ? [] : ["-t", exactSession(session)];
    const flags = options.readOnly === false ? "ignore-size" : "read-only,ignore-size";
    const child = server.spawn(["-N", "-C", "attach-session", ...target, "-f", flags]);
    const client = new ControlClient(child, options);
    if (session !== undefined) client.#session = session;
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
    return this.seqOf(this.#pane);
  }

  /**
   * The sequence number of `pane`: its `%output` and every other
   * notification (`undefined`: the output of every pane).
   */
  seqOf(pane?: string): number {
    const output = pane === undefined ? this.#allOutput : this.#paneOutput.get(pane) ?? 0;
    return this.#notices + output;
  }

  /**
   * When the pane (or, without `pane`, any pane of the session) last printed:
   * the `performance.now()` of its last `%output`, or of the moment the client
   * attached when it has printed nothing since.
   */
  get lastOutputAt(): number {
    return this.#pane === undefined ? this.#lastOutputAt : this.lastOutputAtOf(this.#pane);
  }

  /** When `pane` last printed (see {@link lastOutputAt}). */
  lastOutputAtOf(pane: string): number {
    return this.#paneOutputAt.get(pane) ?? this.#attachedAt;
  }

  /** Whether the client has ended (its session or server went away, or it was closed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** The session the client is attached to (as tmux last reported it). */
  get session(): string {
    return this.#session;
  }

  /**
   * Resolves when the sequence number of `pane` (default: the pane given at
   * attach) moves past `since` (at once if it already has), when the client
   * ends, after `timeoutMs`, or when `signal` aborts.
   */
  changed(
    since: number,
    timeoutMs: number,
    signal?: AbortSignal,
    pane: string | undefined = this.#pane,
  ): Promise<ControlWake> {
    if (signal?.aborted) return Promise.resolve("aborted");
    if (this.#closed) return Promise.resolve("closed");
    if (this.seqOf(pane) > since) return Promise.resolve("changed");
    return new Promise((resolve) => {
      const finish = (wake: ControlWake) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wakers.delete(waker);
        resolve(wake);
      };
      const waker = { pane, wake: () => finish(this.#closed ? "closed" : "changed") };
      const onAbort = () => finish("aborted");
      const timer = setTimeout(() => finish("timeout"), Math.max(0, timeoutMs));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#wakers.add(waker);
    });
  }

  /**
   * Has tmux run a command as this client, without waiting for its answer
   * (one process less than a call of its own); `false` when the client has
   * ended. A command sent before {@link close} has run when close returns
   * (tmux reads its stdin in order).
   */
  send(args: readonly string[]): boolean {
    if (this.#closed) return false;
    this.command(args).catch(() => {
      // Its answer is not awaited; a client that ends first rejects it.
    });
    return true;
  }

  /**
   * Hands `hear` the decoded text of every `%output` of `pane` (default:
   * the pane given at attach, or every pane) from now on; returns what stops it.
   */
  listen(hear: (text: string) => void, pane: string | undefined = this.#pane): () => void {
    const listener = { pane, hear };
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The events of `pane` through this client, for a waiter that shares it:
   * closing the view leaves the client attached and calls `release` (once).
   */
  events(pane: string, release: () => void = () => {}): PaneEvents {
    // deno-lint-ignore no-this-alias
    const client = this;
    let released = false;
    return {
      get seq() {
        return client.seqOf(pane);
      },
      get closed() {
        return client.closed;
      },
      get lastOutputAt() {
        return client.lastOutputAtOf(pane);
      },
      changed: (since, timeoutMs, signal) => client.changed(since, timeoutMs, signal, pane),
      send: (args) => !released && client.send(args),
      listen: (hear) => client.listen(hear, pane),
      close: () => {
        if (!released) {
          released = true;
          release();
        }
        return Promise.resolve();
      },
    };
  }

  /**
   * Runs one tmux command (an argument array as for the process runner,
   * `;` arguments separating commands) through this client and returns
   * what it printed, as the process runner would.
   *
   * @throws {TmuxCommandError} tmux answered with an error.
   * @throws {TmuxTimeoutError} no answer within `timeoutMs`.
   * @throws {ControlClosedError} the client ended before the answer.
   * @throws the signal's reason when `signal` aborts.
   */
  command(args: readonly string[], options: ControlCommandOptions = {}): Promise<string> {
    const subcommand = args[0] ?? "";
    const { signal } = options;
    signal?.throwIfAborted();
    if (this.#closed) return Promise.reject(new ControlClosedError(subcommand, false));
    const { line, commands } = controlLine(args);
    const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS));
    return new Promise<string>((resolve, reject) => {
      const done = () => {
        entry.settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      // A settled entry stays queued: its blocks still arrive, in order, and are dropped.
      const entry: Pending = {
        subcommand,
        commands,
        output: [],
        settled: false,
        resolve: (stdout) => {
          done();
          resolve(stdout);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      const onAbort = () => entry.reject(signal?.reason);
      const timer = setTimeout(
        () => entry.reject(new TmuxTimeoutError(subcommand, timeoutMs)),
        timeoutMs,
      );
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.push(entry);
      this.#stdin.write(encoder.encode(`${line}\n`)).catch(() => {
        // The client is ending; the reader rejects what is pending.
      });
    });
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

  #wake(pane?: string): void {
    for (const waker of [...this.#wakers]) {
      if (pane === undefined || waker.pane === undefined || waker.pane === pane) waker.wake();
    }
  }

  async #read(): Promise<void> {
    let block: { header: string; lines: string[] } | undefined;
    let pending = "";
    try {
      for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n")) !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          block = this.#handle(line, block);
        }
      }
    } catch { /* the stream broke: treat it as the end */ }
    this.#closed = true;
    this.#attached?.(false);
    for (const entry of this.#pending.splice(0)) {
      if (!entry.settled) entry.reject(new ControlClosedError(entry.subcommand, true));
    }
    this.#notices++;
    this.#wake();
  }

  /** Handles one line; returns the command output block still open, if any. */
  #handle(
    line: string,
    block: { header: string; lines: string[] } | undefined,
  ): { header: string; lines: string[] } | undefined {
    if (block) {
      // The end line repeats the begin line's time, number and flags.
      const end = line.startsWith("%end ") ? "%end " : line.startsWith("%error ") ? "%error " : "";
      if (end && line.slice(end.length) === block.header) {
        this.#blockDone(block, end === "%end ");
        return undefined;
      }
      block.lines.push(line);
      return block;
    }
    if (line.startsWith("%begin ")) return { header: line.slice(7), lines: [] };
    if (line.startsWith("%output ") || line.startsWith("%extended-output ")) {
      const pane = line.split(" ", 2)[1];
      if (this.#pane === undefined || pane === this.#pane) {
        if ((this.#onOutput || this.#listeners.size > 0) && line.startsWith("%output ")) {
          const text = decodeOutput(line.slice(9 + pane.length));
          this.#onOutput?.(text, pane);
          for (const listener of this.#listeners) {
            if (listener.pane === undefined || listener.pane === pane) listener.hear(text);
          }
        }
      }
      this.#allOutput++;
      this.#paneOutput.set(pane, (this.#paneOutput.get(pane) ?? 0) + 1);
      const now = performance.now();
      this.#lastOutputAt = now;
      this.#paneOutputAt.set(pane, now);
      this.#wake(pane);
      return undefined;
    }
    if (line.startsWith("%session-changed ")) {
      // `%session-changed $ID NAME`
      this.#session = line.split(" ").slice(2).join(" ");
    }
    // Anything else (window closed, layout changed, session gone, ...) may
    // concern any pane: let every waiter look.
    if (line.startsWith("%")) {
      this.#notices++;
      this.#wake();
    }
    return undefined;
  }

  /** A command output block ended (`ok`: `%end`, else `%error`). */
  #blockDone(block: { header: string; lines: string[] }, ok: boolean): void {
    // Flags 1: a command this client wrote; 0: the attach command itself.
    if (block.header.split(" ")[2] !== "1") {
      this.#attached?.(ok);
      this.#attached = undefined;
      return;
    }
    const entry = this.#pending[0];
    if (!entry) return;
    const text = block.lines.length ? `${block.lines.join("\n")}\n` : "";
    if (ok) entry.output.push(text);
    // A failing command ends its line: tmux drops the commands after it.
    if (!ok || entry.output.length >= entry.commands) {
      this.#pending.shift();
      if (entry.settled) return;
      if (ok) entry.resolve(entry.output.join(""));
      // A process says `unknown command: X` where the control client says `parse error: ...`.
      else {
        const stderr = text.replace(/^parse error: /, "");
        entry.reject(new TmuxCommandError(entry.subcommand, stderr, 1));
      }
    }
  }
}

/**
 * The control-mode command line for an argument array as the process
 * runner takes it: each argument double-quoted for tmux's command parser
 * (`"`, `\` and `$` escaped, control characters as octal escapes, a leading
 * `~` escaped), a `;` argument (or a trailing unescaped `;`) separating
 * commands, and a trailing `\;` (see `tmuxArgument`) a literal `;`. Returns
 * the line and how many commands it holds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { controlLine } from "./control.ts";
 * assert.deepEqual(controlLine(["send-keys", "-t", "%1", "--", "ls\\;", ";", "send-keys", "-t", "%1", "Enter"]), {
 *   line: '"send-keys" "-t" "%1" "--" "ls;" ; "send-keys" "-t" "%1" "Enter"',
 *   commands: 2,
 * });
 * ```
 */
export function controlLine(args: readonly string[]): { line: string; commands: number } {
  const words: string[] = [];
  let commands = 1;
  for (const arg of args) {
    if (arg === ";") {
      words.push(";");
      commands++;
    } else if (arg.endsWith("\\;")) {
      words.push(controlQuote(`${arg.slice(0, -2)};`));
    } else if (arg.endsWith(";")) {
      words.push(controlQuote(arg.slice(0, -1)), ";");
      commands++;
    } else {
      words.push(controlQuote(arg));
    }
  }
  return { line: words.join(" "), commands };
}

/** `text` as one double-quoted word of tmux's command language, read back exactly. */
function controlQuote(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\" || ch === "$") out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, "0")}`;
    else out += ch;
  }
  // tmux expands a leading `~` to the home directory, even in double quotes.
  return `"${out.startsWith("~") ? `\\${out}` : out}"`;
}

/** `%output` data: tmux writes bytes below space and `\\` as three-digit octal escapes. */
export function decodeOutput(data: string): string {
  return data.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}
