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

/** Seconds in a duration like `30s`, `30m`, `2h`, `1d` (`^[0-9]+[smhd]$`), or `undefined`. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

/** Waits `ms` milliseconds; resolves `false` at once if `signal` aborts first, else `true`. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.max(0, ms));
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
  const timer = setTimeout(
    () => controller.abort(new OperationTimeoutError(operation, timeoutMs)),
    Math.max(0, timeoutMs),
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
    clearTimeout(timer);
  }
}
