/**
 * Run-time checks of option values that types cannot stop (a caller in
 * JavaScript, a value read from JSON): a bad value is an error naming the
 * option, never a silent default.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/**
 * `value` when it is one of `allowed` (or `undefined`).
 *
 * @throws {UsageError} any other value.
 */
export function oneOf<T extends string>(
  option: string,
  value: T | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || allowed.includes(value)) return value;
  throw new UsageError(
    `Invalid ${option}: ${JSON.stringify(value)} (expected ${
      allowed.map((a) => JSON.stringify(a)).join(", ")
    })`,
  );
}

/**
 * `value` when it is a finite number at least `min` (or `undefined`).
 *
 * @throws {UsageError} anything else.
 */
export function atLeast(option: string, value: number | undefined, min = 0): number | undefined {
  if (
    value === undefined || (typeof value === "number" && Number.isFinite(value) && value >= min)
  ) {
    return value;
  }
  throw new UsageError(`Invalid ${option}: ${String(value)} (expected a number >= ${min})`);
}
