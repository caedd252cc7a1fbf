/**
 * Sending text to a pane safely: text that starts with `-` or ends with `;`
 * arrives as text, key names (`C-c`, `Escape`) still work as keys, Enter is
 * its own key call, and blocks are pasted through a private named buffer
 * loaded from stdin and deleted by the paste. Every tmux call is retried
 * with exponential backoff. {@link readAnchor} takes the position that an
 * anchored wait measures "new output" from.
 *
 * @module
 */
import { readPaneState } from "./capture.ts";
import {
  SendFailedError,
  ServerNotRunningError,
  TmuxCommandError,
  TmuxTimeoutError,
} from "./errors.ts";
import { sleep } from "./time.ts";
import { type Socket, tmux, type TmuxCallOptions } from "./tmux.ts";
import type { Anchor } from "./wait.ts";

/** How text reaches the pane: tmux keys then Enter, literal text, or a pasted block. */
export type SendMode = "keys" | "literal" | "paste";

/** Options of a send. */
export interface SendOptions {
  /** The server. */
  socket?: Socket;
  /** Attempts per tmux call, at least 1 (default 3). */
  attempts?: number;
  /** Wait before the second attempt; doubled for each further one (default 500). */
  backoffMs?: number;
  /** Bound of each tmux call (default: the runner's). */
  timeoutMs?: number;
  /** Stops the send (the signal's reason is thrown). */
  signal?: AbortSignal;
  /** Progress messages for people (retries). */
  onProgress?: (message: string) => void;
}

/**
 * Makes `text` safe as one tmux argument: tmux ends a command at an argument
 * that ends with `;` unless that `;` is escaped as `\;` (and then turns `\;`
 * back into `;`).
 */
export function tmuxArgument(text: string): string {
  return text.endsWith(";") ? `${text.slice(0, -1)}\\;` : text;
}

/** A block ending with a blank line (what a REPL needs to run it). */
export function withBlankLine(text: string): string {
  if (text === "") return "\n";
  if (text.endsWith("\n\n")) return text;
  return text.endsWith("\n") ? `${text}\n` : `${text}\n\n`;
}

/**
 * Runs one tmux call with retries and exponential backoff.
 *
 * @throws {SendFailedError} every attempt failed.
 */
async function withRetries(
  what: string,
  options: SendOptions,
  run: (call: TmuxCallOptions) => Promise<unknown>,
): Promise<void> {
  const attempts = Math.max(1, Math.floor(options.attempts ?? 3));
  const backoffMs = options.backoffMs ?? 500;
  const call = { socket: options.socket, timeoutMs: options.timeoutMs, signal: options.signal };
  for (let attempt = 1;; attempt++) {
    try {
      await run(call);
      return;
    } catch (error) {
      const retryable = error instanceof TmuxCommandError || error instanceof TmuxTimeoutError ||
        error instanceof ServerNotRunningError;
      if (!retryable || options.signal?.aborted) throw error;
      if (attempt >= attempts) throw new SendFailedError(attempts, error);
      const delay = backoffMs * 2 ** (attempt - 1);
      options.onProgress?.(
        `${what} failed (attempt ${attempt}/${attempts}): ${error.message}; ` +
          `retrying in ${delay / 1000}s`,
      );
      if (!(await sleep(delay, options.signal))) throw options.signal?.reason;
    }
  }
}

/**
 * Sends `text` as tmux key arguments (so `C-c` is Ctrl-C and other text is
 * typed as is), then Enter as its own call. Empty text sends just Enter.
 *
 * @example
 * ```ts ignore
 * await sendKeys("%3", "ls -la", { socket: { path: sock } });
 * ```
 * @throws {SendFailedError} a call failed on every attempt.
 */
export async function sendKeys(pane: string, text: string, options: SendOptions = {}) {
  if (text !== "") {
    await withRetries(
      "send-keys",
      options,
      (call) => tmux(["send-keys", "-t", pane, "--", tmuxArgument(text)], call),
    );
  }
  await withRetries(
    "send-keys Enter",
    options,
    (call) => tmux(["send-keys", "-t", pane, "Enter"], call),
  );
}

/**
 * Sends tmux key names or text as they are, in one call, with no Enter added.
 *
 * @throws {SendFailedError} the call failed on every attempt.
 */
export async function sendKeyNames(
  pane: string,
  keys: readonly string[],
  options: SendOptions = {},
) {
  if (keys.length === 0) return;
  await withRetries(
    "send-keys",
    options,
    (call) => tmux(["send-keys", "-t", pane, "--", ...keys.map(tmuxArgument)], call),
  );
}

/**
 * Types `text` literally (no key names, no Enter).
 *
 * @throws {SendFailedError} the call failed on every attempt.
 */
export async function sendLiteral(pane: string, text: string, options: SendOptions = {}) {
  if (text === "") return;
  await withRetries(
    "send-keys -l",
    options,
    (call) => tmux(["send-keys", "-l", "-t", pane, "--", tmuxArgument(text)], call),
  );
}

/**
 * Pastes `text` as it is through a private buffer: `load-buffer -b NAME -`
 * with the text on stdin (not in argv), then `paste-buffer -d -b NAME`,
 * which deletes the buffer; if the paste never happened, the buffer is
 * deleted anyway. Parallel pastes never see each other's text.
 *
 * @throws {SendFailedError} a call failed on every attempt.
 */
export async function pasteBlock(pane: string, text: string, options: SendOptions = {}) {
  const buffer = `safe-send-${crypto.randomUUID()}`;
  let pasted = false;
  try {
    await withRetries(
      "load-buffer",
      options,
      (call) =>
        tmux(["load-buffer", "-b", buffer, "-"], {
          ...call,
          stdin: new TextEncoder().encode(text),
        }),
    );
    await withRetries(
      "paste-buffer",
      options,
      (call) => tmux(["paste-buffer", "-d", "-b", buffer, "-t", pane], call),
    );
    pasted = true;
  } finally {
    if (!pasted) {
      await tmux(["delete-buffer", "-b", buffer], { socket: options.socket }).catch(() => {});
    }
  }
}

/**
 * Sends `text` the way `mode` says: `keys` (then Enter), `literal`, or
 * `paste` (as a block that ends with a blank line, so a REPL runs it).
 *
 * @throws {SendFailedError} a call failed on every attempt.
 */
export async function sendText(
  pane: string,
  text: string,
  mode: SendMode,
  options: SendOptions = {},
): Promise<void> {
  switch (mode) {
    case "keys":
      return await sendKeys(pane, text, options);
    case "literal":
      return await sendLiteral(pane, text, options);
    case "paste":
      return await pasteBlock(pane, withBlankLine(text), options);
  }
}

/**
 * The pane's position just before a send (one `display-message` call), for
 * an anchored wait: only rows below the cursor row count as new output.
 *
 * @throws {TmuxCommandError} the pane does not exist.
 */
export async function readAnchor(
  socket: Socket | undefined,
  pane: string,
  call: TmuxCallOptions = {},
): Promise<Anchor> {
  const { historySize, cursorY } = await readPaneState(socket, pane, call);
  return { historySize, cursorY };
}
