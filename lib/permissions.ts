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
  /** Socket directory: created (`write`), listed (`read`), or not touched. */
  socketDir: "write" | "read" | false;
  /** Environment variables it reads besides the toolkit's. */
  env?: readonly string[];
}

// No tool reads /proc: Deno 2.9 grants no part of it without --allow-all
// (not even with --allow-read=/proc), so the tools' health checks trust
// tmux's word, and library callers run with -A get the /proc check
// (lib/health.ts processRunning; tests/permissions_test.ts watches this).

/** Every tool's access, in one table. */
export const TOOL_ACCESS: Record<ToolName, ToolAccess> = {
  "create-session": { registry: true, socketDir: "write" },
  "list-sessions": { registry: true, socketDir: false },
  "pane-health": { registry: true, socketDir: false },
  "kill-session": { registry: true, socketDir: false },
  "cleanup-sessions": { registry: true, socketDir: false },
  "find-sessions": { registry: false, socketDir: "read" },
  "safe-send": { registry: true, socketDir: false },
  "wait-for-text": { registry: true, socketDir: false },
  "capture-pane": { registry: true, socketDir: false },
  "run": { registry: true, socketDir: false },
};

/**
 * The servers' access: the MCP server does what every tool does, and reads
 * `TMUX` and `TMUX_PANE` to know the pane it runs in (which it never sends to).
 */
export const SERVER_ACCESS: Record<typeof SERVER_NAMES[number], ToolAccess> = {
  "mcp-server": { registry: true, socketDir: "write", env: ["TMUX", "TMUX_PANE"] },
};

/** What `program` (a tool or a server) touches. */
export function programAccess(program: ProgramName): ToolAccess {
  return program === "mcp-server" ? SERVER_ACCESS[program] : TOOL_ACCESS[program];
}

/** The flags that do not depend on paths: tmux, the toolkit's variables, and the uid. */
export function basePermissionFlags(tool: ProgramName): string[] {
  const access = programAccess(tool);
  const env = [...ENV_VARS, ...(access.env ?? [])];
  const flags = ["--no-prompt", "--allow-run=tmux", `--allow-env=${env.join(",")}`];
  // The uid: lib/safety.ts refuses a registry or socket folder owned by another user.
  if (access.registry || access.socketDir) flags.push("--allow-sys=uid");
  return flags;
}

/** The `deno run` permission flags of `tool` for the locations `env` selects. */
export function permissionFlags(tool: ProgramName, env: Env): string[] {
  const access = programAccess(tool);
  const paths = resolvePaths(env);
  const read = new Set<string>();
  const write = new Set<string>();
  if (access.registry) {
    for (const dir of [dirname(paths.registryFile), dirname(paths.lockFile)]) {
      read.add(dir);
      write.add(dir);
    }
    if (paths.legacyRegistryFile) read.add(paths.legacyRegistryFile);
  }
  if (access.socketDir) read.add(paths.socketDir);
  if (access.socketDir === "write") write.add(paths.socketDir);
  const flags = basePermissionFlags(tool);
  if (read.size) flags.push(`--allow-read=${[...read].join(",")}`);
  if (write.size) flags.push(`--allow-write=${[...write].join(",")}`);
  return flags;
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
