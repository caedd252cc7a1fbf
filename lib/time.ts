/**
 * Time formatting: registry timestamps and the "time ago" column.
 *
 * @module
 */
import { OperationTimeoutError } from "./errors.ts";

/** A UTC timestamp in whole seconds, `YYYY-MM-DDTHH:MM:SSZ`. */
export function isoTimestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

/** Parses a registry timestamp (`Z` or `+HHMM`/`+HH:MM` offsets) to epoch seconds, or `undefined`. */
export function parseTimestamp(text: string | undefined): number | undefined {
  const m = typeof text === "string" ? TIMESTAMP.exec(text.trim()) : null;
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, zone] = m;
  let epoch = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s) / 1000;
  if (Number.isNaN(epoch)) return undefined;
  if (zone !== "Z") {
    const digits = zone.replace(":", "");
    const offset = (+digits.slice(1, 3) * 60 + +digits.slice(3, 5)) * 60;
    epoch -= digits[0] === "-" ? -offset : offset;
  }
  return epoch;
}

/** `Ns ago`, `Nm ago`, `Nh ago`, `Nd ago`, or `unknown` for an unparseable timestamp. */
export function timeAgo(timestamp: string | undefined, nowEpoch: number): string {
  const then = parseTimestamp(timestamp);
  if (then === undefined) return "unknown";
  const diff = Math.max(0, Math.floor(nowEpoch - then));
  if (diff < 60) return `${diff}s ago`;
  if (diff < 3600) return `${Math.floor(diff / 60)}m ago`;
  if (diff < 86400) return `${Math.floor(diff / 3600)}h ago`;
  return `${Math.floor(diff / 86400)}d ago`;
}

const DURATION = /^([0-9]+)([smhd])$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds in a duration like `30s`, `30m`, `2h`, `1d` (`^[0-9]+[smhd]$`), or
 * `undefined`. The number is read as the original's bash arithmetic reads
 * it: a leading `0` makes it octal (`010m` is 8 minutes, `01h` one hour) and
 * `08h` is an error. `undefined` too past `Number.MAX_SAFE_INTEGER` seconds,
 * where bash's 64-bit arithmetic silently wrapped.
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const octal = m[1].length > 1 && m[1].startsWith("0");
  if (octal && /[89]/.test(m[1])) return undefined;
  const seconds = Number.parseInt(m[1], octal ? 8 : 10) * UNIT_SECONDS[m[2]];
  return seconds <= Number.MAX_SAFE_INTEGER ? seconds : undefined;
}

/** The longest delay one timer holds: 2^31 - 1 ms. Deno fires a longer one at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fn` once `ms` milliseconds have passed, however many that is (a
 * delay past {@link MAX_TIMER_MS} is waited out in several timers); returns
 * a function that cancels it.
 */
function afterDelay(ms: number, fn: () => void): () => void {
  const due = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = left > MAX_TIMER_MS
      ? setTimeout(() => arm(due - performance.now()), MAX_TIMER_MS)
      : setTimeout(fn, Math.max(0, left));
  };
  arm(ms);
  return () => clearTimeout(timer);
}

const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks this thread for `ms` milliseconds (a few: nothing else runs
 * meanwhile, and no timer is set up), for short looks at a file that
 * another process is writing.
 */
export function pauseSync(ms: number): void {
  Atomics.wait(SLEEPER, 0, 0, ms);
}

/** Waits `ms` milliseconds; resolves `false` at once if `signal` aborts first, else `true`. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      cancel();
      resolve(false);
    };
    const cancel = afterDelay(ms, () => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    });
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Runs `fn` with a signal that aborts when `signal` does or after
 * `timeoutMs` (with an {@link OperationTimeoutError} as its reason, which
 * the tmux runner then throws). The timer never outlives `fn`.
 */
export async function withDeadline<T>(
  operation: string,
  options: { timeoutMs?: number; signal?: AbortSignal },
  fn: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (options.timeoutMs === undefined) return await fn(options.signal);
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs;
  const cancel = afterDelay(
    timeoutMs,
    () => controller.abort(new OperationTimeoutError(operation, timeoutMs)),
  );
  const signal = options.signal
    ? AbortSignal.any([controller.signal, options.signal])
    : controller.signal;
  try {
    return await fn(signal);
  } catch (error) {
    // Work that stopped on the deadline reports the deadline, whatever it threw.
    if (controller.signal.aborted && !options.signal?.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    cancel();
  }
}
