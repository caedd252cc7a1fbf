/**
 * The history the toolkit's sessions keep: create-session gives its panes a
 * larger `history-limit` than tmux's 2000 lines, so `capture-pane -n`/`-a`
 * and `wait-for-text -l` reach further back (output after a cursor or a send
 * does not depend on it: it is read from the pane's output log or tap).
 *
 * @module
 */
import { TmuxCommandError, TmuxTimeoutError } from "./errors.ts";
import type { Server } from "./server.ts";

/**
 * Lines of history a session made by create-session keeps. tmux allocates
 * history as lines are written, so an idle pane costs nothing more; a full
 * one costs what its lines hold. Measured with tmux 3.3a (the server's RSS
 * before and after): 50 000 lines of 78 characters +22 MB, 50 000 short
 * lines (`seq`) +7 MB; tmux's default 2000 lines of 78 characters +0.9 MB.
 * 50 000 keeps a long build or test log reachable by `capture-pane -n` for
 * a bounded cost per pane (read cursors do not depend on it).
 */
export const HISTORY_LIMIT = 50_000;

/** The user option that holds the global `history-limit` meanwhile. */
const SAVED = "@ctmux-history-limit";

/**
 * tmux commands to run before a command that creates panes (such as
 * `new-session`), in the same command list, so they get `history-limit`
 * {@link HISTORY_LIMIT}; {@link HISTORY_LIMIT_AFTER} follows that command.
 * tmux sizes a pane's history when it creates the pane, from its session's
 * option, and a new session takes the global one: so the global value is
 * saved in a user option, raised, and put back in the same command list
 * (tmux runs one client's list as one piece: no other pane is made
 * meanwhile).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HISTORY_LIMIT_AFTER, HISTORY_LIMIT_BEFORE } from "./history.ts";
 * const list = [...HISTORY_LIMIT_BEFORE, "new-session", "-d", ...HISTORY_LIMIT_AFTER];
 * assert.deepEqual(list.slice(5, 10), ["set-option", "-g", "history-limit", "50000", ";"]);
 * ```
 */
export const HISTORY_LIMIT_BEFORE: readonly string[] = [
  ...["set-option", "-gF", SAVED, "#{history-limit}", ";"],
  ...["set-option", "-g", "history-limit", String(HISTORY_LIMIT), ";"],
];

/**
 * Puts the saved global `history-limit` back. tmux stops a command list at
 * the first command that fails, so when the command between failed (a
 * duplicate session), the caller runs this as a call of its own.
 */
export const RESTORE_HISTORY_LIMIT: readonly string[] = [
  ...["set-option", "-gF", "history-limit", `#{${SAVED}}`, ";"],
  ...["set-option", "-gu", SAVED],
];

/** What follows the pane-making command: {@link RESTORE_HISTORY_LIMIT} in the same list. */
export const HISTORY_LIMIT_AFTER: readonly string[] = [";", ...RESTORE_HISTORY_LIMIT];

/**
 * After a command list made with {@link HISTORY_LIMIT_BEFORE} failed: puts
 * the global `history-limit` back when tmux refused a command (the list
 * stopped before doing it; not after a timeout, when tmux does not answer),
 * and returns the error named after `command`, the list's real work, rather
 * than the `set-option` that starts the list.
 */
export async function afterHistoryLimit(
  server: Server,
  error: unknown,
  command: string,
): Promise<unknown> {
  if (error instanceof TmuxCommandError) {
    await server.run([...RESTORE_HISTORY_LIMIT]).catch(() => {});
    return new TmuxCommandError(command, error.stderr, error.exitCode);
  }
  if (error instanceof TmuxTimeoutError) return new TmuxTimeoutError(command, error.timeoutMs);
  return error;
}
