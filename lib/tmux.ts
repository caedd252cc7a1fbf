/**
 * The tmux command runner: the one place that starts tmux. Arguments are
 * always an array (never a shell string), the socket flag (`-S`/`-L`) is
 * added here, every call is bounded in time, and failures become typed
 * errors carrying the subcommand and tmux's stderr.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import {
  ServerNotRunningError,
  TmuxCommandError,
  TmuxNotFoundError,
  TmuxTimeoutError,
} from "./errors.ts";

/** Which tmux server to talk to: a socket path (`-S`), a socket name (`-L`), or tmux's default. */
export interface Socket {
  /** Socket path, passed as `-S`. */
  path?: string;
  /** Socket name, passed as `-L`. */
  name?: string;
}

/** Bounds of one tmux call: a time limit and a signal. */
export interface CallOptions {
  /** Kill the call after this many milliseconds (default: the runner's 5000). */
  timeoutMs?: number;
  /** Abort the call (it then rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Options of a server's `run`: the call's bounds and its stdin. */
export interface RunTmuxOptions extends CallOptions {
  /** Bytes written to tmux's stdin (for `load-buffer -`). */
  stdin?: Uint8Array;
}

/** Default bound of one tmux call. */
export const DEFAULT_TMUX_TIMEOUT_MS = 5000;

/** Options of one tmux call. */
export interface TmuxCallOptions {
  /** The server; tmux's default socket when omitted. */
  socket?: Socket;
  /** Kill the call after this many milliseconds (default {@link DEFAULT_TMUX_TIMEOUT_MS}). */
  timeoutMs?: number;
  /** Abort the call early. */
  signal?: AbortSignal;
  /** Bytes written to tmux's stdin (for `load-buffer -`). */
  stdin?: Uint8Array;
  /** The tmux executable (default `tmux`, found on PATH). */
  program?: string;
}

const decoder = new TextDecoder();

/** The global flags that select the socket. */
export function socketArgs(socket: Socket | undefined): string[] {
  if (socket?.path) return ["-S", socket.path];
  if (socket?.name) return ["-L", socket.name];
  return [];
}

/** A human label of the socket, as used in messages. */
export function socketLabel(socket: Socket | undefined): string | undefined {
  return socket?.path ?? (socket?.name ? `socket name '${socket.name}'` : undefined);
}

const SERVER_DOWN = /no server running|error connecting to|server exited unexpectedly|lost server/i;

/**
 * Runs `tmux [-S|-L] ARGS...` and returns its stdout.
 *
 * The call is bounded: when `timeoutMs` passes (or `signal` aborts) tmux is
 * killed with SIGKILL and its pipes are closed, so not even a process that
 * inherited them (a fake `tmux` script's child) can keep the caller waiting.
 *
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 * @throws {TmuxTimeoutError} the call ran past its bound.
 * @throws {ServerNotRunningError} no server answers on the socket.
 * @throws {TmuxCommandError} any other non-zero exit.
 * @throws the signal's reason when `signal` aborts the call.
 */
export async function tmux(args: string[], options: TmuxCallOptions = {}): Promise<string> {
  const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS));
  const { signal } = options;
  signal?.throwIfAborted();
  const subcommand = args[0] ?? "";
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(options.program ?? "tmux", {
      args: [...socketArgs(options.socket), ...args],
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new TmuxNotFoundError();
    throw error;
  }
  const stdout = child.stdout.getReader();
  const stderr = child.stderr.getReader();
  let stopped: "timeout" | "abort" | undefined;
  const stop = (why: "timeout" | "abort") => {
    stopped ??= why;
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    // Closing our ends ends the reads even if something else still holds the pipes.
    stdout.cancel().catch(() => {});
    stderr.cancel().catch(() => {});
  };
  // AbortSignal.timeout, not setTimeout: in Deno 2.9 the first touch of the
  // global setTimeout costs ~4 ms of start-up (bench/README.md); the running
  // child keeps the process alive, so the unref'd timer still fires.
  const timer = AbortSignal.timeout(timeoutMs);
  const onTimeout = () => stop("timeout");
  const onAbort = () => stop("abort");
  timer.addEventListener("abort", onTimeout, { once: true });
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const output = Promise.all([child.status, readAll(stdout), readAll(stderr)]);
    if (options.stdin) {
      const writer = child.stdin.getWriter();
      // tmux may exit before reading everything; its exit status tells.
      await writer.write(options.stdin).catch(() => {});
      await writer.close().catch(() => {});
    }
    const [status, out, err] = await output;
    if (stopped === "abort") throw signal?.reason;
    if (stopped === "timeout") throw new TmuxTimeoutError(subcommand, timeoutMs);
    if (!status.success) {
      const text = decoder.decode(err);
      if (SERVER_DOWN.test(text)) throw new ServerNotRunningError(socketLabel(options.socket));
      throw new TmuxCommandError(subcommand, text, status.code);
    }
    return decoder.decode(out);
  } finally {
    timer.removeEventListener("abort", onTimeout);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Reads a stream to its end (or until it is cancelled) into one buffer. */
async function readAll(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (;;) {
    // A read cut short by cancel() ends like the end of the stream.
    const result = await reader.read().catch(() => undefined);
    if (!result || result.done) break;
    chunks.push(result.value);
  }
  return concatBytes(chunks);
}

/**
 * Starts `tmux [-S|-L] ARGS...` as a long-lived process (a control-mode
 * client) with stdin and stdout piped and stderr discarded. The socket flag
 * is added here, as for {@link tmux}. The caller owns the process: it must
 * close its stdin, read its stdout and await its status. If the caller dies,
 * tmux sees its stdin close and exits.
 *
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export function spawnTmux(
  args: string[],
  options: Pick<TmuxCallOptions, "socket" | "program"> = {},
): Deno.ChildProcess {
  try {
    return new Deno.Command(options.program ?? "tmux", {
      args: [...socketArgs(options.socket), ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new TmuxNotFoundError();
    throw error;
  }
}

/** The programs besides tmux the toolkit asks (read-only questions; see lib/permissions.ts). */
export type HelperProgram = "ps" | "test";

/** What a helper program said. */
export interface HelperResult {
  /** It exited 0. */
  success: boolean;
  /** Its stdout. */
  stdout: string;
}

/**
 * Runs one of the read-only helper programs (`ps`: which processes a pane's
 * terminal runs; `test -d`: whether a folder the tool may not read exists),
 * with an argument array, stdin closed and stderr discarded, bounded like a
 * tmux call.
 *
 * @throws {Deno.errors.NotFound} the program is not installed.
 * @throws {Deno.errors.NotCapable} the tool may not run it.
 */
export async function runHelper(
  program: HelperProgram,
  args: string[],
  options: CallOptions = {},
): Promise<HelperResult> {
  const out = await new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.any([
      AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]),
  }).output();
  return { success: out.success, stdout: decoder.decode(out.stdout) };
}
