/**
 * The session registry: a JSON file shared with the original bash tools.
 * Reads need no lock (writes are atomic renames); every read-modify-write
 * runs under the flock(2) lock. Unknown fields survive a rewrite, and a file
 * that can't be used is reported and never overwritten.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { type Env, lockTimeoutSeconds, type Paths, processEnv, resolvePaths } from "./env.ts";
import { RegistryInvalidError } from "./errors.ts";
import { withLock } from "./lock.ts";
import { isoTimestamp } from "./time.ts";

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
  [extra: string]: unknown;
}

/** The whole registry document. */
export interface RegistryData {
  /** Sessions by name. */
  sessions: Record<string, SessionEntry>;
  /** Always `"1.0"`. */
  version: "1.0";
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
}

const encoder = new TextEncoder();

/** Serialises a registry as the bash tools' jq did: 2-space pretty JSON and a newline. */
export function serializeRegistry(data: RegistryData): string {
  return JSON.stringify(data, null, 2) + "\n";
}

/**
 * Parses registry text, checking its shape.
 *
 * @throws {RegistryInvalidError} not JSON, `sessions` not an object, or `version` not "1.0".
 */
export function parseRegistry(text: string, file: string): RegistryData {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RegistryInvalidError(file, "not valid JSON");
  }
  if (!isObject(value)) throw new RegistryInvalidError(file, "top level is not an object");
  if (!isObject(value.sessions)) {
    throw new RegistryInvalidError(file, "'sessions' is not an object");
  }
  if (value.version !== "1.0") {
    throw new RegistryInvalidError(
      file,
      `'version' is ${JSON.stringify(value.version)}, not "1.0"`,
    );
  }
  for (const [name, entry] of Object.entries(value.sessions)) {
    if (!isObject(entry)) {
      throw new RegistryInvalidError(file, `session ${JSON.stringify(name)} is not an object`);
    }
  }
  return value as RegistryData;
}

/** An empty registry document. */
export function emptyRegistry(): RegistryData {
  return { sessions: {}, version: "1.0" };
}

/** Session names in code-point order (as jq `keys`). */
export function sessionNames(data: RegistryData): string[] {
  return Object.keys(data.sessions).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The registry file and its lock. */
export class Registry {
  /** Locations in use. */
  readonly paths: Paths;
  readonly #lockTimeout: number;
  readonly #notice: (message: string) => void;

  /** Opens the registry at the environment's (or the given) location. */
  constructor(options: RegistryOptions = {}) {
    const env = options.env ?? (options.paths ? {} : processEnv());
    this.paths = options.paths ?? resolvePaths(env);
    this.#lockTimeout = options.lockTimeoutSeconds ??
      lockTimeoutSeconds(options.env ?? processEnv());
    this.#notice = options.notice ?? ((m) => console.error(m));
  }

  /** The registry file. */
  get file(): string {
    return this.paths.registryFile;
  }

  /**
   * Reads the registry without locking (writers rename atomically).
   * A missing file reads as empty.
   *
   * @throws {RegistryInvalidError} the file can't be used.
   */
  async read(): Promise<RegistryData> {
    let text = await readIfExists(this.file);
    if (text === undefined && await this.#legacyPending()) {
      await this.update(() => undefined); // imports under the lock
      text = await readIfExists(this.file);
    }
    return text === undefined ? emptyRegistry() : parseRegistry(text, this.file);
  }

  /**
   * Read-modify-write under the lock. `fn` may change `data` in place and
   * returns `{ changed, value }`; the file is rewritten only when changed.
   *
   * @throws {RegistryInvalidError} the file can't be used (nothing is written).
   * @throws {RegistryLockTimeoutError} the lock was not acquired in time.
   */
  async update<T>(
    fn: (data: RegistryData) => T | Promise<T>,
    options: { signal?: AbortSignal; lockTimeoutSeconds?: number } = {},
  ): Promise<T> {
    return await withLock(this.paths.lockFile, {
      timeoutSeconds: options.lockTimeoutSeconds ?? this.#lockTimeout,
      signal: options.signal,
    }, async () => {
      await this.#removeStaleTempFiles();
      const text = await readIfExists(this.file);
      let data: RegistryData;
      let imported = false;
      if (text === undefined) {
        data = await this.#importLegacy() ?? emptyRegistry();
        imported = Object.keys(data.sessions).length > 0;
      } else {
        data = parseRegistry(text, this.file);
      }
      const before = serializeRegistry(data);
      const value = await fn(data);
      const after = serializeRegistry(data);
      if (after !== before || imported) await writeAtomic(this.file, after);
      return value;
    });
  }

  /** Registers (or re-registers) a session; `created_at` and unknown fields of an old entry stay. */
  async add(name: string, fields: SessionFields): Promise<SessionEntry> {
    return await this.update((data) => {
      const now = isoTimestamp();
      const old = data.sessions[name];
      const entry: SessionEntry = {
        ...(old ?? {}),
        socket: fields.socket,
        target: fields.target,
        type: fields.type,
        created_at: old?.created_at ?? now,
        last_active: now,
      };
      delete entry.pid;
      if (typeof fields.pid === "number") entry.pid = fields.pid;
      data.sessions[name] = orderEntry(entry);
      return data.sessions[name];
    });
  }

  /**
   * Removes a session; with `socket` only when the entry is on that socket.
   * Returns whether an entry was removed.
   */
  async remove(name: string, socket?: string): Promise<boolean> {
    return await this.update((data) => {
      const entry = data.sessions[name];
      if (!entry || (socket !== undefined && entry.socket !== socket)) return false;
      delete data.sessions[name];
      return true;
    });
  }

  /** Sets `last_active` of a session to now, if it is registered. */
  async touch(name: string, options: { lockTimeoutSeconds?: number } = {}): Promise<void> {
    await this.update((data) => {
      const entry = data.sessions[name];
      if (entry) entry.last_active = isoTimestamp();
    }, options);
  }

  async #legacyPending(): Promise<boolean> {
    const legacy = this.paths.legacyRegistryFile;
    if (!legacy || legacy === this.file) return false;
    try {
      await Deno.stat(legacy);
      return true;
    } catch {
      return false;
    }
  }

  /** One-time import of the old default registry into a new XDG-default file. */
  async #importLegacy(): Promise<RegistryData | undefined> {
    if (!(await this.#legacyPending())) return undefined;
    const legacy = this.paths.legacyRegistryFile!;
    const text = await readIfExists(legacy);
    if (text === undefined) return undefined;
    let data: RegistryData;
    try {
      data = parseRegistry(text, legacy);
    } catch (error) {
      this.#notice(`Not importing ${legacy}: ${(error as Error).message}`);
      return undefined;
    }
    const count = Object.keys(data.sessions).length;
    if (count === 0) return undefined;
    this.#notice(`Imported ${count} session(s) from old registry ${legacy} into ${this.file}`);
    return data;
  }

  /** Under the lock, any temp file of ours is left from a writer that died mid-write. */
  async #removeStaleTempFiles(): Promise<void> {
    const prefix = `${basename(this.file)}.tmp.`;
    try {
      for await (const entry of Deno.readDir(dirname(this.file))) {
        if (entry.isFile && entry.name.startsWith(prefix)) {
          await Deno.remove(join(dirname(this.file), entry.name)).catch(() => {});
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
}

/** Known fields first, in the registry's documented order; unknown fields after. */
function orderEntry(entry: SessionEntry): SessionEntry {
  const { socket, target, type, created_at, last_active, pid, ...extra } = entry;
  const ordered: SessionEntry = { socket, target, type, created_at, last_active };
  if (pid !== undefined) ordered.pid = pid;
  return Object.assign(ordered, extra);
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Temp file created exclusively in the same folder, then renamed over the target. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  const tmp = join(dir, `${basename(file)}.tmp.${Deno.pid}.${suffix}`);
  try {
    await Deno.writeFile(tmp, encoder.encode(text), { createNew: true, mode: 0o600 });
    await Deno.rename(tmp, file);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
