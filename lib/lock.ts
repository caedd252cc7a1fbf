/**
 * The registry lock: an flock(2) lock on `.sessions.lock`, the same lock the
 * bash tools take with `flock -w 5 200>FILE`, so both exclude each other.
 * Where flock was unavailable the bash tools lock by creating a directory of
 * that name; such a directory is respected as held until it goes away.
 *
 * @module
 */
import { dirname, join } from "./path.ts";
import { RegistryLockTimeoutError, RegistryWriteError } from "./errors.ts";
import { fsProblem, isFsError } from "./fs_errors.ts";

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
 * @throws {RegistryWriteError} the lock file (or its folder) can't be created or opened.
 */
export async function withLock<T>(
  lockFile: string,
  options: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = performance.now() + options.timeoutSeconds * 1000;
  try {
    Deno.mkdirSync(dirname(lockFile), { recursive: true, mode: 0o700 });
  } catch (error) {
    if (!isFsError(error)) throw error;
    // EEXIST from a recursive mkdir: something that is not a folder is in the way.
    const problem = error instanceof Deno.errors.AlreadyExists
      ? `${dirname(lockFile)} is not a folder`
      : fsProblem(error);
    throw new RegistryWriteError("registry lock", lockFile, problem);
  }
  for (;;) {
    options.signal?.throwIfAborted();
    const file = await openLockFile(lockFile);
    if (file !== "directory") {
      let locked = false;
      try {
        locked = file.tryLockSync(true);
        if (locked) return await fn();
      } finally {
        if (locked) unlockQuietly(file);
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

/**
 * Opens (creating if needed) the lock file.
 *
 * @throws {RegistryWriteError} it can't be opened or created (read-only or full
 *   filesystem, a dangling symlink, a path under a regular file).
 */
async function openLockFile(lockFile: string): Promise<Deno.FsFile | "directory"> {
  try {
    return Deno.openSync(lockFile, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    // EISDIR: the bash tools' mkdir lock is in place.
    if (error instanceof Deno.errors.IsADirectory) return "directory";
    if ((error as { code?: string }).code === "EISDIR") return "directory";
    if (!isFsError(error)) throw error;
    const dangling = error instanceof Deno.errors.NotFound
      ? await symlinkTarget(lockFile)
      : undefined;
    throw new RegistryWriteError(
      "registry lock",
      lockFile,
      dangling === undefined
        ? fsProblem(error)
        : `it is a symlink to ${dangling}, which can't be created (its folder is missing)`,
    );
  }
}

/** Where `path` points when it is a symlink; `undefined` otherwise. */
async function symlinkTarget(path: string): Promise<string | undefined> {
  try {
    return await Deno.readLink(path);
  } catch {
    return undefined; // not a symlink (or gone meanwhile)
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

/** Releases a held lock; a failure is ignored (closing the file releases it anyway). */
function unlockQuietly(file: Deno.FsFile): void {
  try {
    file.unlockSync();
  } catch {
    // The close that follows releases the lock.
  }
}
