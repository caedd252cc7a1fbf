/**
 * Watching a pane: its new output as it arrives, from a read-only
 * control-mode client (no polling, no resize of the user's window).
 *
 * @module
 */
import { ControlClient } from "./control.ts";
import { PaneNotFoundError } from "./errors.ts";
import type { Pane } from "./pane.ts";

/** Options of {@link watchPane}. */
export interface WatchOptions {
  /** Ends the watch (the iteration then ends). */
  signal?: AbortSignal;
  /** Give up attaching after this many milliseconds (default 2000). */
  timeoutMs?: number;
}

/**
 * A pane's output from the moment {@link watchPane} returned: iterate it
 * with `for await`; it ends when the pane's session or server goes away,
 * the signal aborts, or it is closed (`await using` closes it).
 */
export class PaneWatch implements AsyncIterableIterator<string>, AsyncDisposable {
  readonly #client: ControlClient;
  readonly #queue: string[];
  readonly #signal?: AbortSignal;

  /** Wraps an attached client; use {@link watchPane}. */
  constructor(client: ControlClient, queue: string[], signal?: AbortSignal) {
    this.#client = client;
    this.#queue = queue;
    this.#signal = signal;
  }

  /** The next chunk of output, waiting for it if none is queued. */
  async next(): Promise<IteratorResult<string, undefined>> {
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk !== undefined) return { done: false, value: chunk };
      const seen = this.#client.seq;
      if (this.#client.closed || this.#signal?.aborted) return await this.return();
      // Each wake is output, a change of the session, or the end: look again.
      const wake = await this.#client.changed(seen, 60_000, this.#signal);
      if (wake === "aborted") return await this.return();
    }
  }

  /** Ends the watch and detaches the client. */
  async return(): Promise<IteratorResult<string, undefined>> {
    await this.#client.close();
    return { done: true, value: undefined };
  }

  /** The watch itself. */
  [Symbol.asyncIterator](): PaneWatch {
    return this;
  }

  /** Same as {@link PaneWatch.return}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/**
 * Starts watching a pane: resolves once the control-mode client is
 * attached, so output written after that is never missed.
 *
 * @example
 * ```ts ignore
 * await using watch = await watchPane(pane, { signal });
 * for await (const chunk of watch) console.log(chunk);
 * ```
 * @throws {PaneNotFoundError} the pane's session is gone (or control mode can't attach).
 * @throws the signal's reason when `signal` aborts.
 */
export async function watchPane(pane: Pane, options: WatchOptions = {}): Promise<PaneWatch> {
  const { signal } = options;
  signal?.throwIfAborted();
  const queue: string[] = [];
  const client = await ControlClient.attach(pane.server, pane.session, {
    pane: pane.id,
    timeoutMs: options.timeoutMs,
    signal,
    onOutput: (text) => queue.push(text),
  });
  if (!client) {
    signal?.throwIfAborted();
    throw new PaneNotFoundError(pane.id, false);
  }
  return new PaneWatch(client, queue, signal);
}
