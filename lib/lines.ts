/**
 * Line matching as `grep -E` (POSIX extended regex) or `grep -F` (fixed
 * strings) does it: a pattern matches a line, and a pattern with newlines is
 * several patterns, any of which may match.
 *
 * @module
 */
import { ereToJs } from "./ere.ts";
import { InvalidPatternError } from "./errors.ts";

/** Decides whether one line matches. */
export type LineMatcher = (line: string) => boolean;

/** Options of {@link compilePattern}. */
export interface PatternOptions {
  /** A fixed string (`grep -F`) instead of an extended regex. */
  fixed?: boolean;
}

/**
 * Compiles a pattern to a line matcher, as `grep -E` (or `grep -F`) reads
 * it. As with grep, a pattern with newlines is several patterns, any of
 * which may match.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compilePattern } from "./lines.ts";
 * const matches = compilePattern("[[:digit:]]+ passed");
 * assert.ok(matches("12 passed"));
 * assert.ok(!matches("all passed"));
 * ```
 * @throws {InvalidPatternError} the pattern is not a valid extended regex.
 */
export function compilePattern(pattern: string, options: PatternOptions = {}): LineMatcher {
  const parts = pattern.split("\n");
  if (options.fixed) return (line) => parts.some((part) => line.includes(part));
  const regexes = parts.map((part) => {
    try {
      return new RegExp(ereToJs(part), "u");
    } catch (error) {
      const reason = error instanceof Error
        ? error.message.replace(/^Invalid regular expression: \/.*\/\w*: /, "")
        : String(error);
      throw new InvalidPatternError(pattern, reason);
    }
  });
  return (line) => regexes.some((regex) => regex.test(line));
}

/**
 * A line matcher for an extended regex (or, with `fixed`, a fixed string)
 * given as text, or for a JavaScript RegExp (its `g` and `y` flags dropped:
 * a test must not depend on the one before).
 *
 * @throws {InvalidPatternError} text that is not a valid extended regex.
 */
export function matcherOf(pattern: string | RegExp, options: PatternOptions = {}): LineMatcher {
  if (typeof pattern === "string") return compilePattern(pattern, { fixed: options.fixed });
  const regex = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ""));
  return (line) => regex.test(line);
}
