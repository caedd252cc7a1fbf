/**
 * Watching a pane: its new output as it arrives, from a read-only
 * control-mode client (no polling, no resize of the user's window).
 *
 * @module
 */
import { ControlClient } from "./control.ts";
import { PaneNotFoundError } from "./errors.ts";
import { locatePane } from "./panes.ts";
import type { Socket } from "./tmux.ts";

/** Options of {@link watchPane}. */
export interface WatchOptions {
  /** Stops the watch (the iteration then ends). */
  signal?: AbortSignal;
  /** Give up attaching after this many milliseconds (default 2000). */
  timeoutMs?: number;
}

/**
 * Yields the pane's output (as the program wrote it, escapes included) from
 * now on, until the pane's session or server goes away or `signal` aborts.
 *
 * @example
 * ```ts ignore
 * for await (const chunk of watchPane({ path: sock }, "work:0.0", { signal })) {
 *   console.log(chunk);
 * }
 * ```
 * @throws {PaneNotFoundError} the target pane does not exist.
 * @throws {ServerNotRunningError} no server on the socket.
 */
export async function* watchPane(
  socket: Socket | undefined,
  target: string,
  options: WatchOptions = {},
): AsyncGenerator<string, void, undefined> {
  const { signal } = options;
  const pane = await locatePane(socket, target, { signal });
  const queue: string[] = [];
  const client = await ControlClient.attach(socket, pane.session, {
    pane: pane.paneId,
    timeoutMs: options.timeoutMs,
    signal,
    onOutput: (text) => queue.push(text),
  });
  if (!client) {
    if (signal?.aborted) return;
    throw new PaneNotFoundError(target, false);
  }
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      const seen = client.seq;
      if (client.closed || signal?.aborted) return;
      const wake = await client.changed(seen, 60_000, signal);
      if (wake === "aborted") return;
      if (wake === "closed") {
        while (queue.length > 0) yield queue.shift()!;
        return;
      }
    }
  } finally {
    await client.close();
  }
}
