/**
 * Path safety: the socket directory, the registry and their folders must
 * belong to the current user (or root) and must not be writable by group or
 * others. Otherwise someone else could pre-create `/tmp/claude-tmux-sockets`
 * (or plant a registry) and point the tools at a tmux server they control.
 *
 * @module
 */
import type { Paths } from "./env.ts";
import { UnsafePathError } from "./errors.ts";

/** What a checked path is, for messages (`socket directory`, `registry`, ...). */
export type PathRole = string;

let cachedUid: number | null | undefined;

/**
 * The current user id (cached: one lookup per process). `Deno.uid()` needs
 * `--allow-sys=uid`; without it, and on systems without uids, `null`.
 */
export function currentUid(): number | null {
  if (cachedUid === undefined) {
    try {
      cachedUid = Deno.uid();
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable)) throw error;
      throw new UnsafePathError(
        "Cannot check file ownership: run with --allow-sys=uid (see lib/permissions.ts)",
      );
    }
  }
  return cachedUid;
}

/**
 * Checks already-fetched file info: owned by the current user or root, and
 * not writable by group or others.
 *
 * @param info `Deno.stat`/`FsFile.stat` result of `path`.
 * @param path The path, for the message.
 * @param role What the path is, for the message.
 * @throws {UnsafePathError} owned by another user, or group/other-writable.
 */
export function checkPrivateInfo(info: Deno.FileInfo, path: string, role: PathRole): void {
  const uid = currentUid();
  if (uid !== null && info.uid !== null && info.uid !== uid && info.uid !== 0) {
    throw new UnsafePathError(
      `Refusing to use ${role} ${path}: owned by uid ${info.uid}, not by you (uid ${uid}); ` +
        `someone else may control it`,
    );
  }
  const mode = info.mode ?? 0;
  if (mode & 0o022) {
    const who = (mode & 0o020 ? ["group"] : []).concat(mode & 0o002 ? ["others"] : []);
    throw new UnsafePathError(
      `Refusing to use ${role} ${path}: writable by ${who.join(" and ")} ` +
        `(mode ${(mode & 0o7777).toString(8).padStart(4, "0")}); fix with: chmod go-w ${path}`,
    );
  }
}

/**
 * Checks a directory the toolkit keeps sockets or the registry in. A
 * symlink is followed, but the link itself must be ours (or root's) too.
 *
 * @param path The directory.
 * @param role What it is, for the message (default `directory`).
 * @returns `false` when it does not exist, `true` when it is safe.
 * @throws {UnsafePathError} not a directory, owned by another user, or group/other-writable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPrivateDir } from "./safety.ts";
 * const dir = await Deno.makeTempDir();
 * assert.equal(await checkPrivateDir(dir, "socket directory"), true); // made 0700 by us
 * ```
 */
export function checkPrivateDir(path: string, role: PathRole = "directory"): boolean {
  const info = statChecked(path, role);
  if (info === undefined) return false;
  if (!info.isDirectory) {
    throw new UnsafePathError(`Refusing to use ${role} ${path}: not a directory`);
  }
  checkPrivateInfo(info, path, role);
  return true;
}

/**
 * Checks a file the toolkit trusts (the registry). A symlink is followed,
 * but the link itself must be ours (or root's) too.
 *
 * @param path The file.
 * @param role What it is, for the message (default `file`).
 * @returns `false` when it does not exist, `true` when it is safe.
 * @throws {UnsafePathError} owned by another user, or group/other-writable.
 */
export function checkPrivateFile(path: string, role: PathRole = "file"): boolean {
  const info = statChecked(path, role);
  if (info === undefined) return false;
  checkPrivateInfo(info, path, role);
  return true;
}

/**
 * Creates a directory (and missing parents) with mode 0700, or checks the
 * one that is already there.
 *
 * @throws {UnsafePathError} the existing directory is not private to the user.
 */
export function ensurePrivateDir(path: string, role: PathRole = "directory"): void {
  // mkdir -p semantics: an existing directory is fine here and checked next,
  // so a concurrent creator is not an error.
  try {
    Deno.mkdirSync(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    // Something that is not a directory is in the way: the check says so.
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
  checkPrivateDir(path, role);
}

/**
 * Creates the socket directory with mode 0700, or checks the existing one
 * (create-session calls this before starting a server in it).
 *
 * @throws {UnsafePathError} the directory belongs to someone else or is group/other-writable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolvePaths } from "./env.ts";
 * import { ensureSocketDir } from "./safety.ts";
 * const dir = await Deno.makeTempDir();
 * await ensureSocketDir(resolvePaths({ CLAUDE_TMUX_SOCKET_DIR: `${dir}/sockets` }));
 * assert.equal((await Deno.stat(`${dir}/sockets`)).mode! & 0o777, 0o700);
 * ```
 */
export function ensureSocketDir(paths: Pick<Paths, "socketDir">): void {
  ensurePrivateDir(paths.socketDir, "socket directory");
}

/** lstat, then stat through a symlink whose own owner is checked; `undefined` when it can't exist. */
function statChecked(path: string, role: PathRole): Deno.FileInfo | undefined {
  try {
    const link = Deno.lstatSync(path);
    if (!link.isSymlink) return link;
    const uid = currentUid();
    if (uid !== null && link.uid !== null && link.uid !== uid && link.uid !== 0) {
      throw new UnsafePathError(
        `Refusing to use ${role} ${path}: a symlink owned by uid ${link.uid}, not by you (uid ${uid})`,
      );
    }
    return Deno.statSync(path);
  } catch (error) {
    // ENOTDIR: a component of the path is a file, so nothing can exist there.
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw error;
  }
}
