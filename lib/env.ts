/**
 * Paths and environment: where the socket directory, default socket,
 * registry and lock live, decided from the environment variables of the
 * drop-in contract. Only the variables listed in {@link ENV_VARS} are read,
 * so the tools can run with `--allow-env` scoped to exactly these names.
 *
 * @module
 */
import { UsageError } from "./errors.ts";
import { dirname, join } from "./path.ts";

/** Every environment variable the toolkit reads. */
export const ENV_VARS = [
  "CLAUDE_TMUX_SOCKET_DIR",
  "CLAUDE_TMUX_REGISTRY",
  "REGISTRY_FILE",
  "REGISTRY_LOCK",
  "LOCK_TIMEOUT",
  "NOW_EPOCH",
  "TMPDIR",
  "XDG_STATE_HOME",
  "HOME",
] as const;

/** A name from {@link ENV_VARS}. */
export type EnvVar = typeof ENV_VARS[number];

/** A source of environment values (defaults to the process environment). */
export type Env = Partial<Record<EnvVar, string>>;

/** Reads the toolkit's variables from the process environment. */
export function processEnv(): Env {
  const env: Env = {};
  for (const name of ENV_VARS) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** Every location the toolkit uses, resolved once from an environment. */
export interface Paths {
  /** Directory of the toolkit's sockets. */
  socketDir: string;
  /** The default socket, `<socketDir>/claude.sock`. */
  defaultSocket: string;
  /** The registry file. */
  registryFile: string;
  /** The flock(2) lock file beside the registry. */
  lockFile: string;
  /**
   * The old default registry to import from once, set only when the
   * registry is the XDG default (no explicit path, no socket directory).
   */
  legacyRegistryFile?: string;
}

/** Resolves the toolkit's paths from the environment (docs/compat.md, "Files"). */
export function resolvePaths(env: Env = processEnv()): Paths {
  const tmp = nonEmpty(env.TMPDIR) ?? "/tmp";
  const explicitSocketDir = nonEmpty(env.CLAUDE_TMUX_SOCKET_DIR);
  const socketDir = explicitSocketDir ?? join(tmp, "claude-tmux-sockets");
  const explicitRegistry = nonEmpty(env.REGISTRY_FILE) ?? nonEmpty(env.CLAUDE_TMUX_REGISTRY);
  let registryFile: string;
  let legacyRegistryFile: string | undefined;
  if (explicitRegistry) {
    registryFile = explicitRegistry;
  } else if (explicitSocketDir) {
    registryFile = join(explicitSocketDir, ".sessions.json");
  } else {
    const stateHome = nonEmpty(env.XDG_STATE_HOME) ??
      join(nonEmpty(env.HOME) ?? "/", ".local", "state");
    registryFile = join(stateHome, "claude-tmux", ".sessions.json");
    legacyRegistryFile = join(tmp, "claude-tmux-sockets", ".sessions.json");
  }
  return {
    socketDir,
    defaultSocket: join(socketDir, "claude.sock"),
    registryFile,
    lockFile: nonEmpty(env.REGISTRY_LOCK) ?? join(dirname(registryFile), ".sessions.lock"),
    legacyRegistryFile,
  };
}

/**
 * `LOCK_TIMEOUT` in seconds (default 5 when unset or empty): a decimal
 * number, 0 or more.
 *
 * @throws {UsageError} any other value (`-1`, `abc`): it is never silently replaced.
 */
export function lockTimeoutSeconds(env: Env = processEnv()): number {
  const raw = nonEmpty(env.LOCK_TIMEOUT);
  if (raw === undefined) return 5;
  const text = raw.trim();
  const n = Number(text);
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text) || !Number.isFinite(n)) {
    throw new UsageError(
      `LOCK_TIMEOUT must be a number of seconds, 0 or more (got ${JSON.stringify(raw)})`,
    );
  }
  return n;
}

/** "Now" in epoch seconds: `NOW_EPOCH` when set (deterministic tests), else the clock. */
export function nowEpochSeconds(env: Env = processEnv()): number {
  const raw = nonEmpty(env.NOW_EPOCH);
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return Math.floor(Date.now() / 1000);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
