#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux,test,ps --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * ctmux: the ten tools in one program, for one compiled binary instead of ten
 * (`deno task compile ctmux`). `ctmux TOOL ARGS...` runs TOOL (`TOOL` or
 * `TOOL.sh`); installed or linked under a tool's name (`pane-health.sh`),
 * it runs that tool. A first argument that names a tool wins over the
 * program's own name (no tool takes a tool's name as its first argument).
 * It has the permissions of all ten tools together (README, Builds).
 *
 * @module
 */
import { useToolArgs } from "../lib/cli.ts";

/** Each tool's module; importing one runs it (it parses the arguments and exits). */
const TOOLS = {
  "create-session": () => import("./create-session.ts"),
  "list-sessions": () => import("./list-sessions.ts"),
  "pane-health": () => import("./pane-health.ts"),
  "kill-session": () => import("./kill-session.ts"),
  "cleanup-sessions": () => import("./cleanup-sessions.ts"),
  "find-sessions": () => import("./find-sessions.ts"),
  "safe-send": () => import("./safe-send.ts"),
  "wait-for-text": () => import("./wait-for-text.ts"),
  "capture-pane": () => import("./capture-pane.ts"),
  "run": () => import("./run.ts"),
} as const;

type Tool = keyof typeof TOOLS;

const USAGE = `Usage: ctmux TOOL [ARGS...]    (or run it as TOOL.sh)

Runs one of the claude-tmux tools: ${Object.keys(TOOLS).join(", ")}.
\`ctmux TOOL --help\` shows that tool's usage.

Examples:
  ctmux list-sessions --json
  ctmux pane-health -s my-python`;

/** The tool a program name or first argument names (`/x/pane-health.sh`, `pane-health`), if any. */
export function toolNamed(name: string | undefined): Tool | undefined {
  if (name === undefined) return undefined;
  const bare = name.slice(name.lastIndexOf("/") + 1).replace(/\.sh$/, "");
  return Object.hasOwn(TOOLS, bare) ? bare as Tool : undefined;
}

if (import.meta.main) {
  const [first, ...rest] = Deno.args;
  let tool = toolNamed(first?.includes("/") ? undefined : first);
  let args = rest;
  if (tool === undefined) {
    // The program's own name: node:process is loaded only here (it costs start-up time).
    const { argv0 } = await import("node:process");
    tool = toolNamed(argv0);
    args = [...Deno.args];
  }
  if (tool === undefined) {
    if (first === "-h" || first === "--help") {
      console.log(USAGE);
      Deno.exit(0);
    }
    console.error(
      first === undefined
        ? USAGE
        : `ctmux: unknown tool '${first}' (one of: ${Object.keys(TOOLS).join(", ")})`,
    );
    Deno.exit(2);
  }
  useToolArgs(args);
  await TOOLS[tool]();
}
