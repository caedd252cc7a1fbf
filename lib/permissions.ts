/**
 * Least permissions, declared once: what each tool may run, read, write and
 * which environment variables it may see. Tests, shims and benchmarks build
 * their `deno run` flags from here, never `-A`.
 *
 * @module
 */
import { dirname } from "./path.ts";
import { type Env, ENV_VARS, resolvePaths } from "./env.ts";

/** The tools, by their drop-in names. */
export const TOOL_NAMES = [
  "create-session",
  "list-sessions",
  "pane-health",
  "kill-session",
  "cleanup-sessions",
  "find-sessions",
  "safe-send",
  "wait-for-text",
  "capture-pane",
  "run",
] as const;

/** A tool's drop-in name. */
export type ToolName = typeof TOOL_NAMES[number];

/** The long-lived servers, beside the drop-in tools: the MCP server (`tools/mcp-server.ts`). */
export const SERVER_NAMES = ["mcp-server"] as const;

/** A drop-in tool or a server: anything run with declared permissions. */
export type ProgramName = ToolName | typeof SERVER_NAMES[number];

/** What one tool touches besides running tmux and reading its variables. */
export interface ToolAccess {
  /** Reads and writes the registry (and its lock). */
  registry: boolean;
  /**
   * Socket directory: written (`write`: created by create-session; its
   * private `.ctmux` folder holds the taps and output files of `run` and
   * `safe-send -w`, which kill-session and cleanup-sessions remove), listed
   * (`read`), or not touched.
   */
  socketDir: "write" | "read" | false;
  /** Environment variables it reads besides the toolkit's. */
  env?: readonly string[];
  /**
   * Programs it runs besides tmux: `run` asks `ps` whether a command waits
   * for input; create-session asks `test -d` whether a `--cwd` folder it may
   * not read exists.
   */
  programs?: readonly string[];
}

// No tool reads /proc: Deno 2.9 grants no part of it without --allow-all
// (not even with --allow-read=/proc), so the tools' health checks trust
// tmux's word, and library callers run with -A get the /proc check
// (lib/health.ts processRunning; tests/permissions_test.ts watches this).

/** Every tool's access, in one table. */
export const TOOL_ACCESS: Record<ToolName, ToolAccess> = {
  "create-session": { registry: true, socketDir: "write", programs: ["test"] },
  "list-sessions": { registry: true, socketDir: false },
  "pane-health": { registry: true, socketDir: false },
  "kill-session": { registry: true, socketDir: "write" },
  "cleanup-sessions": { registry: true, socketDir: "write" },
  "find-sessions": { registry: false, socketDir: "read" },
  "safe-send": { registry: true, socketDir: "write" },
  "wait-for-text": { registry: true, socketDir: "write" },
  "capture-pane": { registry: true, socketDir: "write" },
  "run": { registry: true, socketDir: "write", programs: ["ps"] },
};

/**
 * The servers' access: the MCP server does what every tool does, and reads
 * `TMUX` and `TMUX_PANE` to know the pane it runs in (which it never sends to).
 */
export const SERVER_ACCESS: Record<typeof SERVER_NAMES[number], ToolAccess> = {
  "mcp-server": {
    registry: true,
    socketDir: "write",
    env: ["TMUX", "TMUX_PANE"],
    programs: ["ps", "test"],
  },
};

/** What `program` (a tool or a server) touches. */
export function programAccess(program: ProgramName): ToolAccess {
  return program === "mcp-server" ? SERVER_ACCESS[program] : TOOL_ACCESS[program];
}

/**
 * A tool's permissions as lists, as a Deno config file's permission set
 * (`"permissions": {"default": {...}}`, run with `-P`) takes them.
 */
export interface PermissionSet {
  /** Folders and files it may read. */
  read?: string[];
  /** Folders it may write. */
  write?: string[];
  /** Programs it may run. */
  run: string[];
  /** Environment variables it may read. */
  env: string[];
  /** System information it may read. */
  sys?: string[];
}

/**
 * The permissions that do not depend on paths: tmux (and the tool's other
 * programs), the toolkit's variables, and the uid.
 */
export function basePermissionSet(tool: ProgramName): PermissionSet {
  const access = programAccess(tool);
  const set: PermissionSet = {
    run: ["tmux", ...access.programs ?? []],
    env: [...ENV_VARS, ...(access.env ?? [])],
  };
  // The uid: lib/safety.ts refuses a registry or socket folder owned by another user.
  if (access.registry || access.socketDir) set.sys = ["uid"];
  return set;
}

/** The flags that do not depend on paths: tmux, the toolkit's variables, and the uid. */
export function basePermissionFlags(tool: ProgramName): string[] {
  const set = basePermissionSet(tool);
  const flags = ["--no-prompt", `--allow-run=${set.run.join(",")}`];
  flags.push(`--allow-env=${set.env.join(",")}`);
  if (set.sys) flags.push(`--allow-sys=${set.sys.join(",")}`);
  return flags;
}

/**
 * The permissions of `tool` for the locations `env` selects. Deno checks an
 * open file's own operations (its `stat`) against the file's real path, so
 * where a symlink is on the way (a linked `HOME`, `TMPDIR` or socket folder,
 * a registry file linked into another private folder) the real path of each
 * location read is granted too; without symlinks the lists name each location
 * once. Scripts/install-shims.ts writes the same rules in bash.
 */
export function permissionSet(tool: ProgramName, env: Env): PermissionSet {
  const access = programAccess(tool);
  const paths = resolvePaths(env);
  const read = new Set<string>();
  const write = new Set<string>();
  if (access.registry) {
    for (const dir of [dirname(paths.registryFile), dirname(paths.lockFile)]) {
      read.add(dir);
      write.add(dir);
    }
    // The old default registry's folder, not just the file: the one-time import
    // refuses an old registry whose folder others can write, which needs its stat.
    if (paths.legacyRegistryFile) read.add(dirname(paths.legacyRegistryFile));
  }
  if (access.socketDir) read.add(paths.socketDir);
  if (access.socketDir === "write") write.add(paths.socketDir);
  const subjects = access.registry ? [...read, paths.registryFile] : [...read];
  for (const path of subjects) {
    const real = realPathOnTheWay(path);
    if (real !== path) read.add(real);
  }
  const set = basePermissionSet(tool);
  if (read.size) set.read = [...read];
  if (write.size) set.write = [...write];
  return set;
}

/**
 * The `deno run` permission flags of `tool` for the locations `env` selects
 * (see {@link permissionSet}).
 *
 * @throws {RangeError} a path holds a comma, which Deno's flags split on (no
 * escape exists): such paths need the permission set in a config file.
 */
export function permissionFlags(tool: ProgramName, env: Env): string[] {
  const set = permissionSet(tool, env);
  const flags = basePermissionFlags(tool);
  for (const [kind, paths] of [["read", set.read], ["write", set.write]] as const) {
    if (!paths) continue;
    const comma = paths.find((path) => path.includes(","));
    if (comma !== undefined) {
      throw new RangeError(`${comma} holds a comma, which --allow-${kind} can't express`);
    }
    flags.push(`--allow-${kind}=${paths.join(",")}`);
  }
  return flags;
}

/**
 * `path` with the symlinks on its existing part resolved, or `path` itself
 * when no symlink is on the way (or what it names can't be resolved): a
 * linked path resolved whole, otherwise the longest existing folder resolved
 * and the rest appended as written.
 */
export function realPathOnTheWay(path: string): string {
  const isLink = (p: string) => {
    try {
      return Deno.lstatSync(p).isSymlink;
    } catch {
      return false;
    }
  };
  let prefix = path.startsWith("/") ? "" : ".";
  let linked = false;
  for (const part of path.split("/")) {
    if (part === "") continue;
    prefix = `${prefix}/${part}`;
    if ((linked = isLink(prefix))) break;
  }
  if (!linked) return path;
  try {
    if (isLink(path)) return Deno.realPathSync(path);
    let dir = path;
    let rest = "";
    while (!isDirectory(dir)) {
      const slash = dir.lastIndexOf("/");
      rest = `/${dir.slice(slash + 1)}${rest}`;
      dir = slash === -1 ? "." : dir.slice(0, slash) || "/";
    }
    return Deno.realPathSync(dir).replace(/\/$/, "") + rest;
  } catch {
    return path;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Flags for where the paths can't be known ahead (a shebang line, a compiled
 * binary): run and env exactly as declared; file access unscoped, but only
 * the kinds the tool needs.
 */
export function staticPermissionFlags(tool: ProgramName): string[] {
  const access = programAccess(tool);
  const flags = basePermissionFlags(tool);
  if (access.registry || access.socketDir) flags.push("--allow-read");
  if (access.registry || access.socketDir === "write") flags.push("--allow-write");
  return flags;
}
