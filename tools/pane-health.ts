#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * pane-health: is a pane healthy, dead, missing, a zombie, or is its server down?
 * Exit 0 healthy, 1 dead, 2 missing, 3 zombie, 4 server not running.
 *
 * @module
 */
import { MissingArgumentError, printJson, runTool } from "../lib/cli.ts";
import { TmuxNotFoundError, UsageError } from "../lib/errors.ts";
import { HEALTH_EXIT_CODES } from "../lib/cli/exits.ts";
import { healthJson } from "../lib/cli/json.ts";
import { Context } from "../lib/context.ts";
import type { PaneHealth } from "../lib/health.ts";
import { explicitTargetMissing, lookupExits, TARGET_FLAGS } from "../lib/cli/target.ts";

const USAGE =
  `Usage: pane-health.sh [-s NAME | -S SOCKET -t TARGET | -t TARGET] [--format json|text] [-h]

Check the health of a tmux pane.

Options:
  -s, --session NAME   registered session name
  -S, --socket PATH    tmux socket path (with -t)
  -t, --target TARGET  tmux target (session, session:window.pane or %id)
      --format FORMAT  json (default) or text
  -h, --help           show this help

With no target, the registry's only session is checked.

Exit codes: 0 healthy, 1 dead (or argument error), 2 missing, 3 zombie,
4 tmux server not running.

Examples:
  pane-health.sh -s my-python
  pane-health.sh -S /tmp/claude-tmux-sockets/claude.sock -t my-python:0.0 --format text
  if pane-health.sh -s my-python; then echo ready; fi`;

await runTool({
  usage: USAGE,
  flags: { ...TARGET_FLAGS, format: { type: "string" } },
  usageExit: 1,
  bashUsage: true,
  exits: [...lookupExits(1), [TmuxNotFoundError, 1]],
  // The original's argument errors carry no `Error:` prefix.
  plainUsageErrors: true,
  async main(flags) {
    if (explicitTargetMissing(flags)) {
      throw new MissingArgumentError("target is required");
    }
    const format = flags.format ?? "json";
    if (format !== "json" && format !== "text") {
      throw new UsageError("format must be 'json' or 'text'");
    }
    const { server, target } = await new Context().locate(flags, { touch: true });
    const health = await server.health(target);
    if (format === "json") printJson(healthJson(health));
    else console.log(describe(health, target, server.socket.path));
    return HEALTH_EXIT_CODES[health.status];
  },
});

function describe(health: PaneHealth, target: string, socket: string | undefined): string {
  switch (health.status) {
    case "healthy":
      return `Pane ${target} is healthy (PID: ${health.pid}, process running)`;
    case "dead":
      return `Pane ${target} is dead (marked as dead by tmux)`;
    case "zombie":
      return `Pane ${target} is a zombie (pane exists but process ${health.pid} exited)`;
    case "missing":
      return health.sessionExists
        ? `Pane does not exist (target: ${target})`
        : `Session does not exist (target: ${target})`;
    case "server_not_running":
      return socket
        ? `tmux server is not running on socket: ${socket}`
        : "tmux server is not running on socket";
  }
}
