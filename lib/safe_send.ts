/**
 * A safe send as one operation: check the pane's health, then send (with
 * retries); with a matcher (or a wait for quiet), take the anchor and send in
 * one atomic tmux call and wait for a matching line in the output that
 * appears after the send (a failure pattern ends the wait early).
 *
 * @module
 */
import type { HealthStatus, PaneHealth } from "./health.ts";
import { confirmEnter } from "./enter.ts";
import { isKeyName, parseKeys } from "./keys.ts";
import type { LineMatcher } from "./lines.ts";
import { type Anchor, type SendMode, withBlankLine } from "./pane.ts";
import type { Server } from "./server.ts";
import { cursorAt } from "./cursor.ts";
import { PaneLog } from "./log.ts";
import { type LogStart, PaneTap } from "./tap.ts";
import { waitForText, type WaitOutcome } from "./wait.ts";

/** Options of {@link safeSend}. */
export interface SafeSendOptions {
  /** The text to send (`""` sends just Enter in `keys` mode). */
  text: string;
  /**
   * `keys` (then Enter; key names work), `literal`, `paste` (a block), or
   * `press` (`text` is key names, checked, pressed with no Enter). Default `keys`.
   */
  mode?: SendMode;
  /** Wait for a line matching this in the output after the send. */
  matcher?: LineMatcher;
  /** A line matching this in the output after the send (before a match) ends the wait: `failed`. */
  fail?: LineMatcher;
  /**
   * Also wait until the pane has printed nothing for this many milliseconds
   * (after the match, with `matcher`; alone, a wait for quiet).
   */
  idleMs?: number;
  /** How long to wait for the match, in milliseconds (default 30000). */
  waitMs?: number;
  /** Send attempts per tmux call (default 3). */
  attempts?: number;
  /** First retry delay, doubled each time (default 500). */
  backoffMs?: number;
  /** Poll interval when control mode is unavailable (default 500). */
  intervalMs?: number;
  /** Aborts the send or the wait (the call then rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Progress messages for people. */
  onProgress?: (message: string) => void;
  /**
   * The toolkit's socket folder: a wait after the send taps the pane's output
   * into its private space, so a match is found however much was printed.
   */
  socketDir?: string;
  /**
   * With `socketDir`: start the pane's persistent output log when it has none
   * (and no other pipe), as create-session does, so this and later reads use
   * it instead of opening and closing a pipe of their own: `true`, or a test
   * of the pane asked only then. The tools ask it for registered sessions'
   * panes (`Context.registered`), whose output folder kill-session and
   * cleanup-sessions remove.
   */
  startLog?: LogStart;
  /**
   * Return the output between the send and the end of the wait (`output`):
   * the lines after the typed line, as a terminal shows them (the whole
   * screen for a full-screen program).
   */
  output?: boolean;
  /**
   * Return a read cursor (`cursor`; needs `socketDir`): at the end of
   * `output` with `output`, else at the send. The pane's output log is
   * started first if it has none.
   */
  cursor?: boolean;
  /**
   * In `keys` mode, check that Enter arrived (default true): when the typed
   * text is still right before the cursor 400 ms (`ENTER_CHECK_MS`) after the
   * send (a program that dropped an Enter sent in the same burst), press
   * Enter once more. Not for a single key name (`C-c`, `q`).
   */
  confirmEnter?: boolean;
}

/** What a send and its wait can return besides how they ended. */
export interface SentExtras {
  /** The output between the send and the end of the wait (with `output`). */
  output?: string[];
  /** A read cursor (with `cursor`); `null` when the pane's output can't be logged. */
  cursor?: string | null;
}

/** How a safe send ended: not sent (pane not healthy), sent, or sent and then a wait outcome. */
export type SafeSendOutcome =
  | { kind: "not_ready"; status: HealthStatus; health: PaneHealth }
  | ({ kind: "sent"; pane: string } & SentExtras)
  | (WaitOutcome & { pane: string } & SentExtras);

/**
 * Sends text to the healthy pane `target` points at and optionally waits for
 * the output after it.
 *
 * @throws {SendFailedError} a tmux call failed on every attempt.
 * @throws the signal's reason when `signal` aborts.
 */
export async function safeSend(
  server: Server,
  target: string,
  options: SafeSendOptions,
): Promise<SafeSendOutcome> {
  const { matcher, signal } = options;
  const progress = options.onProgress;
  signal?.throwIfAborted();
  if (options.mode === "press") parseKeys(options.text); // refused before anything is sent
  const { health, pane } = await server.inspect(target, { signal });
  if (health.status !== "healthy" || !pane) {
    return { kind: "not_ready", status: health.status, health };
  }
  progress?.(`Pane ${target} (${pane.id}) is healthy`);
  const mode = options.mode ?? "keys";
  const send = {
    attempts: options.attempts,
    backoffMs: options.backoffMs,
    signal,
    onProgress: progress,
  };
  const { socketDir } = options;
  progress?.(`Sending (${mode}) to ${pane.id}`);
  const checkEnter = mode === "keys" && options.confirmEnter !== false &&
    options.text.trim() !== "" && !isKeyName(options.text);
  const entered = async (anchor: Anchor) => {
    if (!checkEnter) return;
    if (await confirmEnter(pane, options.text, anchor, { signal }) === "resent") {
      progress?.(
        "Enter did not arrive (the typed text stayed on the input line): pressed it again",
      );
    }
  };
  if (!matcher && options.idleMs === undefined) {
    // A cursor needs the pane's log.
    const log = options.cursor && socketDir !== undefined
      ? await PaneLog.open(pane, socketDir)
      : null;
    const at = log?.end(true);
    if (checkEnter) {
      // The cursor before the send, taken in the same tmux call, tells whether Enter arrived.
      await entered(await pane.sendAnchored(options.text, mode, send));
    } else {
      await pane.send(options.text, mode, send);
    }
    progress?.("Sent");
    const cursor = !options.cursor ? {} : { cursor: log && cursorAt(log, at ?? 0) };
    return { kind: "sent", pane: pane.id, ...(options.output ? { output: [] } : {}), ...cursor };
  }
  const text = mode === "paste" ? withBlankLine(options.text) : options.text;
  // A cursor needs the pane's log: the tap starts it if need be, and reads it.
  await using tap = socketDir === undefined
    ? null
    : await PaneTap.open(pane, socketDir, { startLog: options.cursor || options.startLog });
  const sentAt = tap?.offset ?? 0;
  const anchor = await pane.sendAnchored(text, mode, { ...send, before: tap?.startArgs() });
  await entered(anchor);
  progress?.("Sent");
  let output: string[] = [];
  const outcome = await waitForText(pane, {
    collect: options.output ? (lines) => output = lines : undefined,
    matcher,
    fail: options.fail,
    idleMs: options.idleMs,
    waitMs: options.waitMs ?? 30_000,
    intervalMs: options.intervalMs,
    // Pressed keys have no echo to leave out; the cursor's row is left out all the same.
    after: { anchor, sent: mode === "press" ? "" : options.text },
    tap: tap ?? undefined,
    onEnd: (send) => tap?.closeVia(send),
    label: `pane ${target}`,
    signal,
    onProgress: progress,
  });
  const extras: SentExtras = {};
  if (options.output) extras.output = output;
  if (options.cursor) {
    const read = tap?.log;
    extras.cursor = read ? cursorAt(read, options.output ? tap!.offset : sentAt) : null;
  }
  return { ...outcome, pane: pane.id, ...extras };
}
