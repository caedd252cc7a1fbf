#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * kill-session: kill a tmux session and remove its registry entry.
 * Exit 0 both done, 1 one of the two done, 2 neither (or unknown name,
 * auto-detect failure, unusable registry), 3 invalid arguments.
 *
 * @module
 */
import { errorLine, runTool } from "../lib/cli.ts";
import {
  AmbiguousSessionError,
  InvalidEntryError,
  NoSessionsError,
  oneLine,
  ServerNotRunningError,
  TmuxCommandError,
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
import { lookupExits, TARGET_FLAGS } from "../lib/cli/target.ts";

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
  bashUsage: true,
  exits: [
    ...lookupExits(2),
    [UnsafePathError, 2],
    [TmuxNotFoundError, 3],
  ],
  formatError(error) {
    if (error instanceof NoSessionsError) return "Error: No sessions in registry";
    // The original's words for an entry without a usable socket or target, and what is wrong.
    if (error instanceof InvalidEntryError) {
      return oneLine(
        `Error: Invalid session data in registry for '${error.session}': ${error.problem}`,
      );
    }
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
      throw new UsageError("Error: Both -S and -t must be specified together");
    }
    // The original's -v lines, on stderr.
    const verbose = (line: string) => {
      if (flags.verbose) console.error(line);
    };
    if (flags.target !== undefined) {
      verbose(`Using explicit mode: socket=${flags.socket}, target=${flags.target}`);
    } else if (flags.session !== undefined) {
      verbose(`Using registry mode: session=${flags.session}`);
    } else {
      verbose("Attempting auto-detect...");
    }
    const context = new Context();
    const { registry } = context;
    const resolved = await context.locate(flags);
    let kill: KillTarget;
    let socket: string;
    if (resolved.name === undefined) {
      const session = targetSession(resolved.target);
      socket = flags.socket!;
      kill = { name: session, session, server: resolved.server };
    } else {
      // The look-up refuses an entry without a usable socket or target.
      const { target } = resolved.entry!;
      socket = resolved.entry!.socket;
      kill = { name: resolved.name, session: targetSession(target), server: resolved.server };
      if (flags.session === undefined) {
        verbose(`Auto-detected session: ${kill.name}`);
        verbose(`Auto-detected: socket=${socket}, target=${target}`);
      } else {
        verbose(`Resolved from registry: socket=${socket}, target=${target}`);
      }
    }

    if (flags["dry-run"]) {
      // Found in the registry: registered on that socket; else the registry is asked.
      const registered = resolved.entry !== undefined ||
        await isRegisteredOn(registry, kill.name, socket);
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
    report(outcome, kill.name, verbose);
    return exitCode(outcome);
  },
});

/** The original's progress lines: successes on stdout, failures on stderr. */
function report(outcome: KillOutcome, name: string, verbose: (line: string) => void): void {
  if (outcome.killed) {
    console.log("  \u2713 Tmux session killed successfully");
    verbose("Tmux kill-session succeeded");
  } else {
    const error = outcome.killError;
    const code = error instanceof TmuxCommandError
      ? error.exitCode
      : error instanceof ServerNotRunningError
      ? 1 // what tmux exits with when no server answers
      : undefined;
    console.error(
      `  \u2717 Failed to kill tmux session (${
        code === undefined ? oneLine(error?.message ?? "unknown error") : `exit code: ${code}`
      })`,
    );
    verbose(`Tmux kill-session failed, session may not exist: ${oneLine(error?.message ?? "")}`);
  }
  if (outcome.deregisterError) {
    console.log(`Removing from registry: ${name}`);
    // Why, as the original's registry library said it (`registry: ...`), then its line.
    console.error(`registry: ${errorLine(outcome.deregisterError).replace(/^Error: /, "")}`);
    console.error("  \u2717 Failed to remove from registry");
    verbose("Registry removal failed");
  } else if (outcome.wasRegistered) {
    console.log(`Removing from registry: ${name}`);
    console.log("  \u2713 Removed from registry successfully");
    verbose("Registry removal succeeded");
  } else {
    verbose("Session not in registry, skipping deregistration");
  }
  switch (exitCode(outcome)) {
    case 0:
      console.log(`Session '${name}' fully removed`);
      break;
    case 1:
      console.error(`Warning: Partial removal of session '${name}'`);
      break;
    default:
      console.error(`Error: Failed to remove session '${name}'`);
  }
}

/** 0 both steps done, 1 one of them, 2 neither. */
function exitCode(outcome: KillOutcome): number {
  return (outcome.killed ? 0 : 1) + (outcome.deregistered ? 0 : 1);
}
