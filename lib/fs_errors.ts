/**
 * Operating-system errors of file calls, told apart from everything else
 * and put on one line for a message.
 *
 * @module
 */

/**
 * Why a filesystem call failed, without Deno's `(os error N)`:
 * `Read-only file system (open /x/.sessions.lock)`.
 */
export function fsProblem(error: Error): string {
  const match = /^(.*?) \(os error \d+\)(?:: (\w+) '(.*)')?$/s.exec(error.message);
  if (!match) return error.message;
  return match[2] === undefined ? match[1] : `${match[1]} (${match[2]} ${match[3]})`;
}

/** Whether `error` is an operating-system error of a file call (it has an errno code). */
export function isFsError(error: unknown): error is Error {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/**
 * Removes a file (or, with `recursive`, a folder and what it holds) for a
 * cleanup that must not fail: an error (already gone, not ours) is ignored.
 * Synchronous: a file call takes microseconds, an async one's thread hop far more.
 */
export function removeQuietly(path: string, recursive = false): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch {
    // Nothing to do: the cleanup is best effort.
  }
}
