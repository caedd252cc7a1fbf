/**
 * The waiting tools' shared flags (`--idle`, `--tail`, `--fail`), read the
 * same way, with the same messages, by safe-send and wait-for-text.
 *
 * @module
 */
import { MAX_LINES, MAX_SECONDS, parseNumber } from "../cli.ts";
import { compilePattern, type LineMatcher } from "../lines.ts";
import { DEFAULT_TAIL } from "./report.ts";

/** What `--idle`, `--tail` and `--fail` asked for. */
export interface WaitExtras {
  /** Seconds of quiet to wait for (`--idle`), if given. */
  idle?: number;
  /** Pane lines a timeout report shows (`--tail`, default {@link DEFAULT_TAIL}). */
  tail: number;
  /** The failure pattern (`--fail`), if given and not empty. */
  fail?: LineMatcher;
}

/**
 * Reads `--idle`, `--tail` and `--fail`.
 *
 * @throws {UsageError} a value that is not a number of seconds, an integer or a valid pattern.
 */
export function waitExtras(
  flags: { idle?: string; tail?: string; fail?: string },
  options: { fixed?: boolean } = {},
): WaitExtras {
  const idle = flags.idle === undefined ? undefined : parseNumber(flags.idle, {
    max: MAX_SECONDS,
    unit: "seconds",
    message: "idle must be a number of seconds",
  });
  const tail = parseNumber(flags.tail ?? String(DEFAULT_TAIL), {
    integer: true,
    max: MAX_LINES,
    message: "tail must be an integer",
  });
  const fail = flags.fail === undefined || flags.fail === ""
    ? undefined
    : compilePattern(flags.fail, { fixed: options.fixed });
  return { idle, tail, fail };
}
