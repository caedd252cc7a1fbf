/**
 * The tmux command runner: the one place that starts tmux. Arguments are
 * always an array (never a shell string), the socket flag (`-S`/`-L`) is
 * added here, every call is bounded in time, and failures become typed
 * errors carrying the subcommand and tmux's stderr.
 *
 * @module
 */
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
}

/** Field separator of `-F` templates: a control character tmux escapes in names. */
export const FIELD_SEP = "\x1f";

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
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 * @throws {TmuxTimeoutError} the call ran past its bound.
 * @throws {ServerNotRunningError} no server answers on the socket.
 * @throws {TmuxCommandError} any other non-zero exit.
 */
export async function tmux(args: string[], options: TmuxCallOptions = {}): Promise<string> {
  const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_TMUX_TIMEOUT_MS));
  const timer = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([timer, options.signal]) : timer;
  const subcommand = args[0] ?? "";
  let output: Deno.CommandOutput;
  try {
    const child = new Deno.Command("tmux", {
      args: [...socketArgs(options.socket), ...args],
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).spawn();
    if (options.stdin) {
      const writer = child.stdin.getWriter();
      // tmux may exit before reading everything; its exit status tells.
      await writer.write(options.stdin).catch(() => {});
      await writer.close().catch(() => {});
    }
    output = await child.output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new TmuxNotFoundError();
    throw error;
  }
  if (!output.success) {
    if (options.signal?.aborted) throw options.signal.reason;
    if (timer.aborted) throw new TmuxTimeoutError(subcommand, timeoutMs);
    const stderr = decoder.decode(output.stderr);
    if (SERVER_DOWN.test(stderr)) throw new ServerNotRunningError(socketLabel(options.socket));
    throw new TmuxCommandError(subcommand, stderr, output.code);
  }
  return decoder.decode(output.stdout);
}

/** Builds a `-F` template from format variables, joined by {@link FIELD_SEP}. */
export function formatTemplate(fields: readonly string[]): string {
  return fields.map((f) => `#{${f}}`).join(FIELD_SEP);
}

/** Splits `-F` output into rows of fields, skipping blank lines. */
export function parseRows(stdout: string): string[][] {
  return stdout.split("\n").filter((line) => line !== "").map((line) => line.split(FIELD_SEP));
}

/** Exact session target: `=NAME`, so `foo` never matches `foobar`. */
export function exactSession(name: string): string {
  return `=${name}`;
}
