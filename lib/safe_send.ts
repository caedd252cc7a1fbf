/**
 * A safe send as one operation: check the pane's health, take the anchor,
 * send (with retries), then optionally wait for a pattern in the output that
 * appears after the send. safe-send and the library both use it.
 *
 * @module
 */
import { type HealthStatus, inspectPane, type PaneHealth } from "./health.ts";
import { readAnchor, type SendMode, sendText } from "./send.ts";
import type { Socket } from "./tmux.ts";
import { type LineMatcher, waitForText, type WaitOutcome } from "./wait.ts";

/** Options of {@link safeSend}. */
export interface SafeSendOptions {
  /** The server. */
  socket?: Socket;
  /** The pane's target (matched exactly). */
  target: string;
  /** The text to send (`""` sends just Enter in `keys` mode). */
  text: string;
  /** `keys` (then Enter; key names work), `literal`, or `paste` (a block). Default `keys`. */
  mode?: SendMode;
  /** Wait for a line matching this after the send. */
  matcher?: LineMatcher;
  /** How long to wait for the match, in milliseconds (default 30000). */
  timeoutMs?: number;
  /** Send attempts per tmux call (default 3). */
  attempts?: number;
  /** First retry delay, doubled each time (default 500). */
  backoffMs?: number;
  /** Poll interval when control mode is unavailable (default 500). */
  intervalMs?: number;
  /** Cancels the send or the wait. */
  signal?: AbortSignal;
  /** Progress messages for people. */
  onProgress?: (message: string) => void;
}

/** How a safe send ended: not sent (pane not healthy), sent, or sent and then a wait outcome. */
export type SafeSendOutcome =
  | { kind: "not_ready"; status: HealthStatus; health: PaneHealth }
  | { kind: "sent"; pane: string }
  | (WaitOutcome & { pane: string });

/**
 * Sends text to a healthy pane and optionally waits for the output after it.
 *
 * @example
 * ```ts ignore
 * const outcome = await safeSend({
 *   socket: { path: sock },
 *   target: "calc:0.0",
 *   text: "print(6*7)",
 *   matcher: compilePattern(">>>"),
 *   timeoutMs: 10_000,
 * });
 * ```
 * @throws {SendFailedError} a tmux call failed on every attempt.
 */
export async function safeSend(options: SafeSendOptions): Promise<SafeSendOutcome> {
  const { socket, target, matcher, signal } = options;
  const progress = options.onProgress;
  const { health, pane } = await inspectPane(socket, target, { signal });
  if (health.status !== "healthy" || !pane) {
    return { kind: "not_ready", status: health.status, health };
  }
  progress?.(`Pane ${target} (${pane.paneId}) is healthy`);
  const anchor = matcher ? await readAnchor(socket, pane.paneId, { signal }) : undefined;
  const mode = options.mode ?? "keys";
  progress?.(`Sending (${mode}) to ${pane.paneId}`);
  await sendText(pane.paneId, options.text, mode, {
    socket,
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    signal,
    onProgress: progress,
  });
  progress?.("Sent");
  if (!matcher || !anchor) return { kind: "sent", pane: pane.paneId };
  const outcome = await waitForText({
    socket,
    pane: pane.paneId,
    matcher,
    timeoutMs: options.timeoutMs ?? 30_000,
    intervalMs: options.intervalMs,
    after: { anchor, sent: options.text },
    label: `pane ${target}`,
    signal,
    onProgress: progress,
  });
  return { ...outcome, pane: pane.paneId };
}
