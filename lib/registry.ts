/**
 * The session registry: a JSON file shared with the original bash tools.
 * Reads need no lock (writes are atomic renames); every read-modify-write
 * runs under the flock(2) lock. Unknown fields survive a rewrite, and a file
 * that can't be used is reported and never overwritten.
 *
 * @module
 */
import { concatBytes } from "./bytes.ts";
import { basename, dirname, join, resolve } from "./path.ts";
import { type Env, lockTimeoutSeconds, type Paths, processEnv, resolvePaths } from "./env.ts";
import {
  RegistryInvalidError,
  RegistryLockTimeoutError,
  RegistryWriteError,
  SessionExistsError,
  TmuxToolError,
} from "./errors.ts";
import { fsProblem, isFsError, removeQuietly } from "./fs_errors.ts";
import { withLock } from "./lock.ts";
import { checkPrivateDir, checkPrivateFile, checkPrivateInfo, ensurePrivateDir } from "./safety.ts";
import { isoTimestamp } from "./time.ts";
import { targetSession } from "./panes.ts";
import type { Socket } from "./tmux.ts";

/** The kinds of session create-session makes. */
export type SessionType = "shell" | "python-repl" | "debugger";

/** One registered session. Unknown fields written by other tools are kept. */
export interface SessionEntry {
  /** Absolute socket path. */
  socket: string;
  /** tmux target, `NAME:0.0` under default indices. */
  target: string;
  /** Session type (other tools may write other values). */
  type: SessionType | string;
  /** When first registered (UTC, whole seconds). */
  created_at: string;
  /** When last used by a tool. */
  last_active: string;
  /** The pane's process id, when known. */
  pid?: number;
  /** Fields written by other tools, kept as they are. */
  [extra: string]: unknown;
}

/**
 * A registry entry a tool can act on: an object with a non-empty `socket`
 * and `target` (see {@link entryProblem}); its other fields are as stored.
 */
export interface UsableEntry {
  /** Socket path. */
  socket: string;
  /** tmux target. */
  target: string;
  /** Every other field, as stored (any type: other tools may write anything). */
  [field: string]: unknown;
}

/** The whole registry document. */
export interface RegistryData {
  /**
   * Entries by name, as stored: normally {@link SessionEntry} objects, but
   * another tool may have written anything there (see {@link entryProblem}).
   * Entries that can't be used are kept as they are until a cleanup removes them.
   */
  sessions: Record<string, unknown>;
  /** Always `"1.0"`. */
  version: "1.0";
  /** Fields written by other tools, kept as they are. */
  [extra: string]: unknown;
}

/** What a registration sets; `created_at` and unknown fields of an earlier entry are kept. */
export interface SessionFields {
  /** Absolute socket path. */
  socket: string;
  /** Pane target. */
  target: string;
  /** Session type. */
  type: SessionType | string;
  /** Pane process id, if known. */
  pid?: number | null;
}

/** Options of a {@link Registry}. */
export interface RegistryOptions {
  /** Locations; resolved from the environment when omitted. */
  paths?: Paths;
  /** Lock timeout in seconds; `LOCK_TIMEOUT` (default 5) when omitted. */
  lockTimeoutSeconds?: number;
  /** Environment to resolve defaults from. */
  env?: Env;
  /** Called with a one-line notice (the one-time import); defaults to stderr. */
  notice?: (message: string) => void;
  /**
   * For a long-lived reader: reuse the last parse while the file is the
   * same file as then (device, inode, size, mode, owner, times) and was
   * written well before it was read (default false). Any process's write
   * replaces the file, so it is always seen.
   */
  cache?: boolean;
}

/**
 * A file written this recently when it was read may be rewritten within the
 * same timestamp tick; its parse is not reused (git's "racily clean" rule).
 */
const RACY_MS = 100;

/** `Deno.statSync(path)`, or `undefined` when it can't be read. */
function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** What identifies one version of the registry file. */
function fileKey(info: Deno.FileInfo): string {
  return [
    info.dev,
    info.ino,
    info.size,
    info.mode,
    info.uid,
    info.mtime?.getTime(),
    info.ctime?.getTime(),
    info.birthtime?.getTime(),
  ].join(":");
}

const encoder = new TextEncoder();
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Serialises a registry as the bash tools' jq did: 2-space pretty JSON and a newline. */
export function serializeRegistry(data: RegistryData): string {
  return JSON.stringify(data, null, 2) + "\n";
}

/**
 * Parses registry text, checking its shape. Single entries are not checked
 * here: one odd entry must not make the others unusable (see {@link entryProblem}).
 *
 * @throws {RegistryInvalidError} not JSON, `sessions` not an object, or `version` not "1.0".
 */
export function parseRegistry(text: string, file: string): RegistryData {
  if (text.trim() === "") throw new RegistryInvalidError(file, "file is empty, not valid JSON");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RegistryInvalidError(file, "not valid JSON");
  }
  if (!isObject(value)) throw new RegistryInvalidError(file, "top level is not an object");
  if (!Object.hasOwn(value, "sessions")) {
    throw new RegistryInvalidError(file, "'sessions' is missing");
  }
  if (!isObject(value.sessions)) {
    throw new RegistryInvalidError(file, "'sessions' is not an object");
  }
  if (value.version !== "1.0") {
    throw new RegistryInvalidError(
      file,
      `'version' is ${JSON.stringify(value.version)}, not "1.0"`,
    );
  }
  return value as RegistryData;
}

/**
 * What makes a stored entry unusable, or `undefined` when a tool can act on
 * it: it must be an object with a non-empty string `socket` and `target`.
 */
export function entryProblem(entry: unknown): string | undefined {
  if (!isObject(entry)) {
    const kind = entry === null ? "null" : Array.isArray(entry) ? "an array" : `a ${typeof entry}`;
    return `it is ${kind}, not an object`;
  }
  for (const field of ["socket", "target"] as const) {
    const value = entry[field];
    if (value === undefined) return `'${field}' is missing`;
    if (typeof value !== "string") return `'${field}' is not a string`;
    if (value === "") return `'${field}' is empty`;
  }
  return undefined;
}

/** Whether a stored entry is one a tool can act on (see {@link entryProblem}). */
export function isUsableEntry(entry: unknown): entry is UsableEntry {
  return entryProblem(entry) === undefined;
}

/** An empty registry document. */
export function emptyRegistry(): RegistryData {
  return { sessions: {}, version: "1.0" };
}

/** Session names in code-point order (as jq `keys`). */
export function sessionNames(data: RegistryData): string[] {
  return Object.keys(data.sessions).sort(compareCodePoints);
}

/**
 * Orders strings by code point. JS `<` compares UTF-16 units, which puts an
 * emoji (a surrogate pair) before `ｚ` (U+FF5A); jq puts it after.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) {
      // At the first differing unit, codePointAt reads a whole pair if one starts here.
      return a.codePointAt(i)! - b.codePointAt(i)!;
    }
  }
  return a.length - b.length;
}

/** The registry file and its lock. */
export class Registry {
  /** Locations in use. */
  readonly paths: Paths;
  readonly #lockTimeout: number;
  readonly #notice: (message: string) => void;
  readonly #cache: boolean;
  #cached?: { key: string; text: string };

  /**
   * Opens the registry at the environment's (or the given) location.
   *
   * @throws {UsageError} `LOCK_TIMEOUT` is set but is not a number of seconds >= 0.
   */
  constructor(options: RegistryOptions = {}) {
    const env = options.env ?? (options.paths ? {} : processEnv());
    this.paths = options.paths ?? resolvePaths(env);
    this.#lockTimeout = options.lockTimeoutSeconds ??
      lockTimeoutSeconds(options.env ?? processEnv());
    this.#notice = options.notice ?? ((m) => console.error(m));
    this.#cache = options.cache ?? false;
  }

  /** The registry file. */
  get file(): string {
    return this.paths.registryFile;
  }

  /**
   * Reads the registry without locking (writers rename atomically).
   * A missing file reads as empty. The first read of a new XDG-default
   * registry imports the old default one (see {@link Registry.update}).
   *
   * @throws {RegistryInvalidError} the file can't be used.
   * @throws {UnsafePathError} the file or its folder belongs to someone else or is group/other-writable.
   */
  async read(): Promise<RegistryData> {
    // Sync: one stat takes microseconds, an async one about 70 (a hot path of the MCP server).
    const info = this.#cache ? statOrUndefined(this.file) : undefined;
    const key = info && fileKey(info);
    if (key !== undefined && this.#cached?.key === key) {
      return parseRegistry(this.#cached.text, this.file);
    }
    let text = readRegistryText(this.file);
    if (text === undefined && this.#legacyPending()) {
      try {
        await this.update(() => undefined); // imports once, under the lock
      } catch (error) {
        // A reader never fails for want of writing (a busy lock, a read-only
        // or full filesystem): show what the import will give.
        if (!(error instanceof RegistryLockTimeoutError || error instanceof RegistryWriteError)) {
          throw error;
        }
        return this.#legacyData().data ?? emptyRegistry();
      }
      text = readRegistryText(this.file);
    }
    if (text === undefined) return emptyRegistry();
    const data = parseRegistry(text, this.file);
    const written = info?.mtime?.getTime();
    if (key !== undefined && written !== undefined && Date.now() - written > RACY_MS) {
      this.#cached = { key, text };
    }
    return data;
  }

  /**
   * Read-modify-write under the lock. `fn` may change `data` in place; its
   * return value is passed through. The file is rewritten (atomically) only
   * when the data changed, and never when `fn` throws.
   *
   * When the registry is the XDG default and does not exist yet, the old
   * default registry's entries are imported first (once: the new file is
   * created even when there was nothing to import).
   *
   * @throws {RegistryInvalidError} the file can't be used (nothing is written).
   * @throws {RegistryLockTimeoutError} the lock was not acquired in time.
   * @throws {RegistryWriteError} the file, its folder or its lock can't be written.
   * @throws {UnsafePathError} the file or its folder belongs to someone else or is group/other-writable.
   */
  async update<T>(
    fn: (data: RegistryData) => T | Promise<T>,
    options: { signal?: AbortSignal; lockTimeoutSeconds?: number } = {},
  ): Promise<T> {
    let inFn = false;
    try {
      ensurePrivateDir(dirname(this.file), "registry directory");
      return await withLock(this.paths.lockFile, {
        timeoutSeconds: options.lockTimeoutSeconds ?? this.#lockTimeout,
        signal: options.signal,
      }, async () => {
        this.#removeStaleTempFiles();
        const { data, create } = this.#readForUpdate();
        const before = serializeRegistry(data);
        inFn = true;
        const value = await fn(data);
        inFn = false;
        const after = serializeRegistry(data);
        if (after !== before || create) writeAtomic(this.file, after);
        return value;
      });
    } catch (error) {
      // What `fn` throws is the caller's; a failed file call of ours is typed.
      if (inFn || !isFsError(error)) throw error;
      throw new RegistryWriteError("registry", this.file, fsProblem(error));
    }
  }

  /** The data to update, under the lock; `create` when the file must be written even unchanged. */
  #readForUpdate(): { data: RegistryData; create: boolean } {
    const text = readRegistryText(this.file);
    if (text !== undefined) return { data: parseRegistry(text, this.file), create: false };
    if (this.#legacyPending()) {
      return { data: this.#importLegacy() ?? emptyRegistry(), create: true };
    }
    return { data: emptyRegistry(), create: false };
  }

  /**
   * Registers (or re-registers) a session; `created_at` and unknown fields of an old entry stay.
   * With `exclusive`, an existing entry of that name is an error instead (checked under the lock).
   *
   * @throws {SessionExistsError} `exclusive` and the name is already registered.
   */
  async add(
    name: string,
    fields: SessionFields,
    options: { exclusive?: boolean } = {},
  ): Promise<SessionEntry> {
    return await this.update((data) => {
      if (options.exclusive && Object.hasOwn(data.sessions, name)) {
        throw new SessionExistsError(name, "registry");
      }
      const now = isoTimestamp();
      const stored = Object.hasOwn(data.sessions, name) ? data.sessions[name] : undefined;
      // An entry that is not an object has no fields to keep.
      const old = isObject(stored) ? stored : {};
      const entry: SessionEntry = {
        ...old,
        socket: fields.socket,
        target: fields.target,
        type: fields.type,
        created_at: typeof old.created_at === "string" ? old.created_at : now,
        last_active: now,
      };
      delete entry.pid;
      if (typeof fields.pid === "number") entry.pid = fields.pid;
      const ordered = orderEntry(entry);
      data.sessions[name] = ordered;
      return ordered;
    });
  }

  /**
   * Removes a session; with `socket` only when the entry is on that socket
   * (see {@link entryOnSocket}). Returns whether an entry was removed.
   */
  async remove(name: string, socket?: string): Promise<boolean> {
    return await this.update((data) => {
      if (!Object.hasOwn(data.sessions, name)) return false;
      if (socket !== undefined && !entryOnSocket(data.sessions[name], socket)) return false;
      delete data.sessions[name];
      return true;
    });
  }

  /**
   * Whether a registered entry is the tmux session `session` on the server
   * at `socket` (the entry's socket, and its target's session name).
   */
  async holds(socket: Socket, session: string): Promise<boolean> {
    const path = socket.path;
    if (path === undefined) return false;
    const { sessions } = await this.read();
    return Object.values(sessions).some((entry) =>
      entryOnSocket(entry, path) && isObject(entry) && typeof entry.target === "string" &&
      targetSession(entry.target) === session
    );
  }

  /** Sets `last_active` of a session to now, if it is registered (as an object). */
  async touch(name: string, options: { lockTimeoutSeconds?: number } = {}): Promise<void> {
    await this.update((data) => {
      const entry = Object.hasOwn(data.sessions, name) ? data.sessions[name] : undefined;
      if (isObject(entry)) entry.last_active = isoTimestamp();
    }, options);
  }

  /** Whether an old default registry may need importing (the registry is the XDG default). */
  #legacyPending(): boolean {
    const legacy = this.paths.legacyRegistryFile;
    if (!legacy || legacy === this.file) return false;
    try {
      Deno.lstatSync(legacy);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * What the old default registry holds for an import: its `data` when it
   * has sessions; the `problem` when it can't be used (not valid, someone
   * else's file, or a folder others control, refused like every other
   * path); neither when it is missing or has no sessions.
   */
  #legacyData(): { data?: RegistryData; problem?: string } {
    const legacy = this.paths.legacyRegistryFile;
    if (!legacy) return {};
    try {
      checkLegacyFolder(dirname(legacy));
      const text = readRegistryText(legacy, "old registry", false);
      const data = text === undefined ? undefined : parseRegistry(text, legacy);
      return data && Object.keys(data.sessions).length > 0 ? { data } : {};
    } catch (error) {
      if (error instanceof RegistryInvalidError) return { problem: error.problem };
      if (error instanceof TmuxToolError) return { problem: error.message };
      throw error;
    }
  }

  /**
   * One-time import of the old default registry into a new XDG-default file.
   * Says what was imported, or once (the new file is created either way) why
   * nothing was.
   */
  #importLegacy(): RegistryData | undefined {
    const legacy = this.paths.legacyRegistryFile;
    const { data, problem } = this.#legacyData();
    if (problem !== undefined) {
      this.#notice(`Old registry ${legacy} not imported (not tried again): ${problem}`);
    }
    if (data === undefined) return undefined;
    const count = Object.keys(data.sessions).length;
    this.#notice(`Imported ${count} session(s) from old registry ${legacy} into ${this.file}`);
    return data;
  }

  /**
   * Under the lock no writer of ours is mid-write, so a temp file of ours is
   * left from a writer that died between creating and renaming it.
   */
  #removeStaleTempFiles(): void {
    const dir = dirname(this.file);
    const pattern = tempFilePattern(this.file);
    try {
      for (const entry of Deno.readDirSync(dir)) {
        if (entry.isFile && pattern.test(entry.name)) removeQuietly(join(dir, entry.name));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Whether a stored entry lives on the socket `socket`, both paths taken as absolute. */
export function entryOnSocket(entry: unknown, socket: string): boolean {
  return isObject(entry) && typeof entry.socket === "string" &&
    resolve(entry.socket) === resolve(socket);
}

/** Known fields first, in the registry's documented order; unknown fields after. */
function orderEntry(entry: SessionEntry): SessionEntry {
  const { socket, target, type, created_at, last_active, pid, ...extra } = entry;
  return pid === undefined
    ? { socket, target, type, created_at, last_active, ...extra }
    : { socket, target, type, created_at, last_active, pid, ...extra };
}

/**
 * Refuses an old registry folder that others control, as every other folder
 * is refused. Where the tool's scoped permissions grant the old file but not
 * its folder (lib/permissions.ts), only the file itself can be checked.
 *
 * @throws {UnsafePathError} the folder belongs to someone else or is group/other-writable.
 */
function checkLegacyFolder(dir: string): void {
  try {
    checkPrivateDir(dir, "old registry directory");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
}

/**
 * Reads a registry file after checking its folder (unless `checkDir` is
 * false) and, on the open file (so what is checked is what is read), its
 * owner and mode; `undefined` when missing.
 */
function readRegistryText(
  file: string,
  role = "registry",
  checkDir = true,
): string | undefined {
  if (checkDir && !(checkPrivateDir(dirname(file), `${role} directory`))) return undefined;
  // A symlink someone else planted is refused before it is followed.
  if (!(checkPrivateFile(file, role))) return undefined;
  let handle: Deno.FsFile;
  try {
    handle = Deno.openSync(file, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new RegistryInvalidError(file, "not readable (permission denied)");
    }
    if (isFsError(error)) throw new RegistryInvalidError(file, `not readable: ${fsProblem(error)}`);
    throw error;
  }
  try {
    const info = handle.statSync();
    if (!info.isFile) {
      throw new RegistryInvalidError(
        file,
        info.isDirectory ? "it is a directory" : "not a regular file",
      );
    }
    checkPrivateInfo(info, file, role);
    const bytes = readToEnd(handle);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new RegistryInvalidError(file, "not valid UTF-8 text");
    }
  } finally {
    handle.close();
  }
}

function readToEnd(handle: Deno.FsFile): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const buffer = new Uint8Array(64 * 1024);
    const n = handle.readSync(buffer);
    if (n === null) break;
    chunks.push(buffer.subarray(0, n));
  }
  return concatBytes(chunks);
}

/** Names of this registry's temp files: `<name>.tmp.<pid>.<random>`. */
function tempFilePattern(file: string): RegExp {
  const base = basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${base}\\.tmp\\.\\d+\\.[0-9a-z]+$`);
}

/**
 * Writes `text` to a temp file created exclusively (O_EXCL: a planted file or
 * symlink at that name is never followed or reused) in the same folder, mode
 * 0600, then renames it over `file`. On failure the temp file is removed.
 * Call it under the registry lock.
 *
 * @param options.tempName The temp file's path (default `<file>.tmp.<pid>.<random>`).
 * @throws {Deno.errors.AlreadyExists} something already exists at the temp name.
 */
export function writeAtomic(
  file: string,
  text: string,
  options: { tempName?: string } = {},
): void {
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = options.tempName ??
    join(dirname(file), `${basename(file)}.tmp.${Deno.pid}.${suffix}`);
  try {
    Deno.writeFileSync(tmp, encoder.encode(text), { createNew: true, mode: 0o600 });
  } catch (error) {
    // Not created by us when it already existed: leave that one alone.
    if (!(error instanceof Deno.errors.AlreadyExists)) removeQuietly(tmp);
    throw error;
  }
  try {
    Deno.renameSync(tmp, file);
  } catch (error) {
    removeQuietly(tmp);
    throw error;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
