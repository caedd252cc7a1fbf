/**
 * The target flags of the command-line tools (`-s`, `-t`, `-S`), their
 * checks, and the exit rules of look-up errors. The rule they feed is the
 * core's (`../target.ts`).
 *
 * @module
 */
import type { ExitRule, FlagSpecs } from "../cli.ts";
import {
  AmbiguousSessionError,
  InvalidEntryError,
  NoSessionsError,
  RegistryInvalidError,
  SessionNotFoundError,
  UnsafePathError,
  UsageError,
} from "../errors.ts";
import { type TargetFlags, targetSource } from "../target.ts";

/** Whether the flags name the pane explicitly but give no (or an empty) `-t`. */
export function explicitTargetMissing(flags: TargetFlags): boolean {
  return targetSource(flags) === "explicit" && !flags.target;
}

/** The target flags, declared once for every single-pane tool. */
export const TARGET_FLAGS = {
  session: { type: "string", short: "s" },
  target: { type: "string", short: "t" },
  socket: { type: "string", short: "S" },
} as const satisfies FlagSpecs;

/** The errors of looking a target up, which each tool maps to its lookup-error code. */
export const LOOKUP_ERRORS = [
  RegistryInvalidError,
  UnsafePathError,
  SessionNotFoundError,
  InvalidEntryError,
  NoSessionsError,
  AmbiguousSessionError,
] as const;

/** Exit rules giving every look-up error the same code. */
export function lookupExits(code: number): ExitRule[] {
  return LOOKUP_ERRORS.map((type) => [type, code] as const);
}

/**
 * Checks that `-S`/`-L` come with `-t` (unless `-s` names the pane).
 *
 * @throws {UsageError} a socket flag without a target.
 */
export function checkSocketNeedsTarget(flags: TargetFlags): void {
  if (targetSource(flags) === "explicit" && flags.target === undefined) {
    throw new UsageError("-S/--socket requires -t/--target");
  }
}
