/**
 * The one waiting primitive: look at a pane (a snapshot: its text and state,
 * read together) until a probe says the wait is over, the budget is spent,
 * or the pane goes away. A control-mode client wakes the wait as soon as the
 * pane gets output (a read-only one of its own, or on a connected server the
 * one client shared by every wait on the session); polling is the fallback
 * when control mode can't attach. Line matching, anchors and `run`'s end detection are probes
 * on top of this.
 *
 * @module
 */
import type { CaptureOptions } from "./capture.ts";
import type { PaneEvents } from "./control.ts";
import { ServerNotRunningError, TmuxCommandError, TmuxTimeoutError } from "./errors.ts";
import type { Pane, PaneSnapshot } from "./pane.ts";
import { sleep } from "./time.ts";

/** What a probe says of a snapshot. */
export type Verdict<T> =
  /**
   * The wait is over, with this value; with `idleMs`, once the pane is also
   * quiet, unless `now` says to end it at once (a failure pattern, say).
   */
  | { done: T; now?: boolean }
  /** Capture again at once (the probe's view moved while capturing). */
  | "recapture"
  /** Look again shortly, even if the pane reports no change (more is on its way). */
  | "soon"
  /** Wait for the pane to change. */
  | undefined;

/** Decides, snapshot by snapshot, whether a wait is over. */
export interface Probe<T> {
  /** What to capture for the next look; `null`: the pane's state only. */
  capture(): CaptureOptions | null;
  /**
   * Looks at one snapshot. `lastTry` is true when a `"recapture"` would not
   * be honoured (the probe must then decide on what it has).
   */
  test(snapshot: PaneSnapshot, lastTry: boolean): Verdict<T>;
  /**
   * A verdict reached without looking at the pane (a probe that reads the
   * pane's tapped output): asked before each look but the first; a `done`
   * ends the wait with no tmux call (with `idleMs`, only a `now` one).
   * What it read is what the look's {@link Probe.test} then goes on from.
   */
  early?(): Verdict<T>;
  /**
   * The pane's output as control mode reports it, from `since` (the
   * `performance.now()` when the wait began to listen; for
   * {@link Probe.early}; parts may be missing).
   */
  heard?(text: string, since: number): void;
  /**
   * Look again after at most this many milliseconds even if the pane reports
   * no change (optional; `undefined`: only on changes and the heartbeat).
   */
  wakeInMs?(): number | undefined;
}

/** How a wait ended. */
export type UntilOutcome<T> =
  | { kind: "done"; value: T }
  | { kind: "timed_out" }
  | { kind: "pane_gone"; reason: string };

/** Options of {@link waitUntil}. */
export interface UntilOptions {
  /** How long to wait, in milliseconds; the outcome is `timed_out` after it. */
  waitMs: number;
  /** Aborts the wait: it then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Wake on control-mode notifications (default true); false polls. */
  events?: boolean;
  /** Poll interval when control mode is unavailable (default 500). */
  intervalMs?: number;
  /** The pane's name in messages (default `pane %N`). */
  label?: string;
  /**
   * Wait for quiet too: a probe's `done` ends the wait only once the pane
   * has printed nothing for this many milliseconds (the latest `done` value
   * is returned; the probe is still asked on every change meanwhile, so a
   * `done` with `now` can end the wait first). Quiet is timed on the
   * control-mode client's `%output` notifications (from when it attached,
   * not before); when control mode is unavailable, on changes of the
   * visible screen, polled every `intervalMs`. A probe that is done at once
   * makes this a wait for quiet alone.
   */
  idleMs?: number;
  /** Progress messages for people (how the wait runs). */
  onProgress?: (message: string) => void;
  /**
   * Called once as the wait ends, before its control-mode client detaches,
   * with a function that has tmux run a command as that client (`false`
   * when there is none: the caller then runs it as a call of its own).
   */
  onEnd?: (send: (args: readonly string[]) => boolean) => void;
}

/** The first look of a wait runs even with a zero budget, bounded by this. */
const FIRST_LOOK_MIN_MS = 1000;
/** In control mode the pane is also looked at this often: tmux does not notify every death. */
const HEARTBEAT_MS = 1000;
/** Bursts of output are coalesced: at most one look per this many milliseconds. */
const MIN_GAP_MS = 20;
/** The same on a connected server, where a look costs about 0.1 ms instead of a tmux process. */
const CONNECTED_GAP_MS = 2;
/** Polling never spins faster than this. */
const MIN_INTERVAL_MS = 10;
/** Looks again at once at most this many times when a probe asks to recapture. */
const RECAPTURES = 3;

type Look<T> =
  | { snapshot: PaneSnapshot; verdict: Exclude<Verdict<T>, "recapture"> }
  | UntilOutcome<T>;

/**
 * Waits until `probe` says done, `waitMs` passes (outcome `timed_out`), or
 * the pane goes away (outcome `pane_gone`). The first look happens before
 * any waiting, so a condition that already holds ends the wait at once.
 *
 * @example
 * ```ts ignore
 * const outcome = await waitUntil(pane, {
 *   capture: () => ({ join: true }),
 *   test: (snap) => snap.lines.some((l) => l.includes("ready")) ? { done: true } : undefined,
 * }, { waitMs: 10_000 });
 * ```
 * @throws the signal's reason when `signal` aborts, before or during the wait.
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function waitUntil<T>(
  pane: Pane,
  probe: Probe<T>,
  options: UntilOptions,
): Promise<UntilOutcome<T>> {
  const { signal } = options;
  signal?.throwIfAborted();
  const label = options.label ?? `pane ${pane.id}`;
  const progress = options.onProgress ?? (() => {});
  const deadline = performance.now() + Math.max(0, options.waitMs);
  const remaining = () => deadline - performance.now();
  const pollMs = Math.max(MIN_INTERVAL_MS, options.intervalMs ?? 500);
  const gapMs = pane.server.persistent ? CONNECTED_GAP_MS : MIN_GAP_MS;
  let client: PaneEvents | null = null;
  let unlisten: (() => void) | undefined;
  const hear = probe.heard?.bind(probe);
  let session = "";
  let events = options.events ?? true;
  let lastLookAt = -Infinity;
  let first = true;
  const idleMs = options.idleMs;
  let settled: { done: T } | undefined;

  /** How a failed tmux call ends the wait; rethrows what is not about the pane. */
  const ended = (error: unknown): UntilOutcome<T> => {
    signal?.throwIfAborted();
    if (error instanceof TmuxTimeoutError) return { kind: "timed_out" };
    if (error instanceof ServerNotRunningError) {
      return { kind: "pane_gone", reason: "the tmux server is no longer running" };
    }
    if (error instanceof TmuxCommandError && /can't find|no such/i.test(error.stderr)) {
      return { kind: "pane_gone", reason: `${label} no longer exists` };
    }
    throw error;
  };

  const look = async (boundMs: number): Promise<Look<T>> => {
    try {
      for (let attempt = 0;; attempt++) {
        const call = { timeoutMs: attempt === 0 ? boundMs : Math.max(1, remaining()), signal };
        const capture = probe.capture();
        const snapshot = capture === null
          ? { lines: [], state: await pane.state(call) }
          : await pane.snapshot(capture, call);
        const verdict = probe.test(snapshot, attempt >= RECAPTURES);
        if (verdict !== "recapture") return { snapshot, verdict };
      }
    } catch (error) {
      return ended(error);
    }
  };

  // Quiet without control mode: when the visible screen last changed.
  let screenKey: string | undefined;
  let screenChangedAt = performance.now();
  const polledChange = async (): Promise<number | UntilOutcome<T>> => {
    try {
      const { lines, state } = await pane.snapshot({}, { timeoutMs: remaining(), signal });
      const key = JSON.stringify([lines, state.historySize, state.cursorX, state.cursorY]);
      if (key !== screenKey) screenChangedAt = performance.now();
      screenKey = key;
      return screenChangedAt;
    } catch (error) {
      return ended(error);
    }
  };

  try {
    for (;;) {
      signal?.throwIfAborted();
      const bound = first ? Math.max(remaining(), FIRST_LOOK_MIN_MS) : remaining();
      if (bound <= 0) return { kind: "timed_out" };
      // Taken before anything is read: output after it wakes the wait again.
      const seen = client?.seq ?? 0;
      if (!first) {
        const early = probe.early?.();
        if (typeof early === "object" && (idleMs === undefined || early.now)) {
          return { kind: "done", value: early.done };
        }
      }
      first = false;
      lastLookAt = performance.now();
      const result = await look(bound);
      if ("kind" in result) return result;
      const { snapshot, verdict } = result;
      if (verdict !== undefined && verdict !== "soon") {
        if (idleMs === undefined || verdict.now) return { kind: "done", value: verdict.done };
        settled = verdict;
      }
      if (snapshot.state.dead) return { kind: "pane_gone", reason: `${label} is dead` };
      if (remaining() <= 0) return { kind: "timed_out" };

      if (events && client === null) {
        session = snapshot.state.session;
        client = await pane.server.events(session, pane.id, {
          timeoutMs: Math.min(remaining(), 2000),
          signal,
        });
        signal?.throwIfAborted();
        if (client !== null && hear) {
          const since = performance.now();
          unlisten = client.listen?.((text) => hear(text, since));
        }
        if (client === null) {
          events = false;
          progress(`Control mode unavailable; polling every ${pollMs / 1000}s`);
        } else {
          progress("Waiting on control-mode notifications");
          // Output may have come before the client was attached: look again.
          continue;
        }
      } else if (client !== null && snapshot.state.session !== session) {
        // Notifications only cover the attached session.
        progress("Pane moved to another session; polling");
        unlisten?.();
        await client.close();
        client = null;
        events = false;
      }

      const wakeIn = Math.max(0, probe.wakeInMs?.() ?? Infinity);
      // With idleMs: once done, the wait ends when quiet; until then, wake up when it would be.
      let quietIn = Infinity;
      if (idleMs !== undefined) {
        const last = client !== null ? client.lastOutputAt : await polledChange();
        if (typeof last !== "number") return last;
        if (settled) {
          quietIn = idleMs - (performance.now() - last);
          if (quietIn <= 0) return { kind: "done", value: settled.done };
        }
      }

      if (verdict === "soon") {
        await sleep(Math.min(MIN_GAP_MS, remaining(), quietIn), signal);
      } else if (client !== null) {
        const wake = await client.changed(
          seen,
          Math.min(remaining(), HEARTBEAT_MS, wakeIn, quietIn),
          signal,
        );
        signal?.throwIfAborted();
        if (wake === "closed") {
          // The session or server may be gone; the next look tells. If not, poll.
          unlisten?.();
          await client.close();
          client = null;
          events = false;
        } else if (wake === "changed") {
          const gap = gapMs - (performance.now() - lastLookAt);
          if (gap > 0) await sleep(Math.min(gap, remaining()), signal);
        }
      } else {
        await sleep(Math.min(pollMs, remaining(), wakeIn, quietIn), signal);
      }
    }
  } finally {
    unlisten?.();
    options.onEnd?.((args) => client?.send?.(args) ?? false);
    await client?.close();
  }
}
