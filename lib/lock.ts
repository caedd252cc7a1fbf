/**
 * The registry lock: an flock(2) lock on `.sessions.lock`, the same lock the
 * bash tools take with `flock -w 5 200>FILE`, so both exclude each other.
 * Where flock was unavailable the bash tools lock by creating a directory of
 * that name; such a directory is respected as held until it goes away.
 *
 * @module
 */
import { dirname, join } from "./path.ts";
import { RegistryLockTimeoutError } from "./errors.ts";

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Give up after this many seconds. */
  timeoutSeconds: number;
  /** Abort waiting early. */
  signal?: AbortSignal;
}

const POLL_MS = 10;

/**
 * Runs `fn` while holding the exclusive lock on `lockFile`.
 *
 * @throws {RegistryLockTimeoutError} the lock was not acquired in time.
 */
export async function withLock<T>(
  lockFile: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = performance.now() + options.timeoutSeconds * 1000;
  await Deno.mkdir(dirname(lockFile), { recursive: true, mode: 0o700 });
  for (;;) {
    options.signal?.throwIfAborted();
    const file = await openLockFile(lockFile);
    if (file !== "directory") {
      let locked = false;
      try {
        locked = await file.tryLock(true);
        if (locked) return await fn();
      } finally {
        if (locked) await file.unlock().catch(() => {});
        file.close();
      }
    }
    if (performance.now() >= deadline) {
      const heldBy = file === "directory"
        ? await describeDirectoryLock(lockFile, options.timeoutSeconds)
        : "held by another process (flock)";
      throw new RegistryLockTimeoutError(lockFile, options.timeoutSeconds, heldBy);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function openLockFile(lockFile: string): Promise<Deno.FsFile | "directory"> {
  try {
    return await Deno.open(lockFile, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    // EISDIR: the bash tools' mkdir lock is in place.
    if (error instanceof Deno.errors.IsADirectory) return "directory";
    if ((error as { code?: string }).code === "EISDIR") return "directory";
    throw error;
  }
}

/**
 * Says who holds a directory lock, and whether it looks stale (older than
 * the timeout). Never removes it: the owner may still be running.
 */
async function describeDirectoryLock(lockFile: string, timeoutSeconds: number): Promise<string> {
  let owner = "unknown";
  try {
    owner = (await Deno.readTextFile(join(lockFile, "owner"))).trim().replace(/\s+/g, " ") ||
      owner;
  } catch { /* no owner file (yet): owner unknown */ }
  try {
    const mtime = (await Deno.stat(lockFile)).mtime?.getTime();
    const age = mtime === undefined ? 0 : Math.floor((Date.now() - mtime) / 1000);
    if (age > timeoutSeconds) {
      return `stale directory lock of the bash tools, ${age}s old, owner: ${owner}; ` +
        `remove ${lockFile}/ if that process is gone`;
    }
  } catch { /* gone meanwhile */ }
  return `directory lock of the bash tools, owner: ${owner}`;
}
