#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * kill-session: kill a tmux session and remove its registry entry.
 * Exit 0 both done, 1 one of the two done, 2 neither (or unknown name,
 * auto-detect failure, unusable registry), 3 invalid arguments.
 *
 * @module
 */
import { runTool } from "../lib/cli.ts";
import {
  AmbiguousSessionError,
  NoSessionsError,
  RegistryInvalidError,
  TmuxNotFoundError,
  UnsafePathError,
  UsageError,
} from "../lib/errors.ts";
import {
  isRegisteredOn,
  type KillOutcome,
  killSession,
  type KillTarget,
} from "../lib/lifecycle.ts";
import { targetSession } from "../lib/panes.ts";
import { Context } from "../lib/context.ts";
import { lookupExits, TARGET_FLAGS } from "../lib/target.ts";

const USAGE = `Usage: kill-session.sh [-s NAME | -S SOCKET -t TARGET] [--dry-run] [-v] [-h]

Kill a tmux session and remove it from the registry.

Options:
  -s, --session NAME   registered session name
  -S, --socket PATH    tmux socket path (explicit mode, requires -t)
  -t, --target TARGET  tmux target; its session is killed (requires -S)
      --dry-run        show what would be done, change nothing
  -v, --verbose        details on stderr
  -h, --help           show this help

With no options, the registry's only session is removed. In explicit mode
(-S and -t) only a registry entry of that name on that same socket is removed.

Exit codes: 0 killed and deregistered, 1 only one of the two done,
2 neither done (or unknown session, auto-detect failed), 3 invalid arguments.

Examples:
  kill-session.sh -s my-python
  kill-session.sh -S /tmp/claude-tmux-sockets/claude.sock -t my-python:0.0
  kill-session.sh -s my-python --dry-run
  kill-session.sh`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    "dry-run": { type: "boolean" },
    verbose: { type: "boolean", short: "v" },
  },
  usageExit: 3,
  exits: [...lookupExits(2), [UnsafePathError, 2], [TmuxNotFoundError, 3]],
  formatError(error) {
    if (error instanceof NoSessionsError) return "Error: No sessions in registry";
    if (error instanceof AmbiguousSessionError) {
      return ["Error: Multiple sessions found, specify -s session-name:"]
        .concat(error.names.map((name) => `  - ${name}`)).join("\n");
    }
    return undefined;
  },
  async main(flags) {
    if (flags.session === "" || flags.target === "") {
      throw new UsageError("Error: -s requires a session name");
    }
    if (flags.socket === "") throw new UsageError("Error: -S requires a socket path");
    if ((flags.socket === undefined) !== (flags.target === undefined)) {
      throw new UsageError("Error: -S and -t must be used together");
    }
    const verbose = (line: string) => {
      if (flags.verbose) console.error(`[kill-session] ${line}`);
    };
    const context = new Context();
    const { registry } = context;
    const resolved = await context.locate(flags);
    let kill: KillTarget;
    let socket: string;
    if (resolved.name === undefined) {
      const session = targetSession(resolved.target);
      socket = flags.socket!;
      kill = { name: session, session, server: resolved.server };
      verbose(`explicit mode: socket ${socket}, target ${resolved.target}`);
    } else {
      const { target } = resolved.entry!;
      const entrySocket: unknown = resolved.entry!.socket;
      if (typeof entrySocket !== "string" || entrySocket === "" || typeof target !== "string") {
        throw new RegistryInvalidError(
          registry.file,
          `session '${resolved.name}' has no socket or target`,
        );
      }
      socket = entrySocket;
      kill = { name: resolved.name, session: targetSession(target), server: resolved.server };
      verbose(`registry entry '${kill.name}': socket ${socket}, target ${target}`);
    }

    if (flags["dry-run"]) {
      const registered = await isRegisteredOn(registry, kill.name, socket);
      console.log("Dry-run mode: Would perform the following operations:");
      console.log(
        `  1. Kill tmux session: tmux -S "${socket}" kill-session -t "${kill.session}"`,
      );
      console.log(
        registered
          ? `  2. Remove from registry: ${kill.name}`
          : "  2. Session not in registry, skip deregistration",
      );
      return 0;
    }

    console.log(`Killing tmux session: ${kill.session}`);
    const outcome = await killSession(registry, { ...kill, socketDir: context.paths.socketDir });
    report(outcome, kill, verbose);
    return exitCode(outcome);
  },
});

function report(outcome: KillOutcome, kill: KillTarget, verbose: (line: string) => void): void {
  if (outcome.killed) {
    console.log(`Killed tmux session: ${kill.session}`);
  } else {
    console.error(`Failed to kill tmux session '${kill.session}': ${outcome.killError?.message}`);
  }
  if (outcome.deregisterError) {
    console.error(
      `Failed to remove '${kill.name}' from registry: ${outcome.deregisterError.message}`,
    );
  } else if (outcome.wasRegistered) {
    console.log(`Removed from registry: ${kill.name}`);
  } else {
    console.log(`Session not in registry, skipped deregistration: ${kill.name}`);
    verbose(`no entry '${kill.name}' on socket ${kill.server.socket.path}`);
  }
  switch (exitCode(outcome)) {
    case 0:
      console.log(`Session '${kill.name}' fully removed`);
      break;
    case 1:
      console.error(
        `Warning: Session '${kill.name}' partially removed (` +
          (outcome.killed ? "registry entry not removed" : "tmux session not killed") + ")",
      );
      break;
    default:
      console.error(
        `Error: Failed to remove session '${kill.name}' (tmux and registry both failed)`,
      );
  }
}

/** 0 both steps done, 1 one of them, 2 neither. */
function exitCode(outcome: KillOutcome): number {
  return (outcome.killed ? 0 : 1) + (outcome.deregistered ? 0 : 1);
}
