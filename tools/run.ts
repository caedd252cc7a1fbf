#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * run: run one command in a pane and print what it printed; exit with its
 * exit status. 124 timed out (the command keeps running), 3 pane gone,
 * 4 invalid arguments or look-up error.
 *
 * @module
 */
import { parseNumber, printJson, runTool } from "../lib/cli.ts";
import {
  PaneNotFoundError,
  SendFailedError,
  ServerNotRunningError,
  TmuxNotFoundError,
  TmuxToolError,
  UnsafePathError,
  UsageError,
} from "../lib/errors.ts";
import { Context } from "../lib/context.ts";
import { cursorAtEnd, openLog } from "../lib/cursor.ts";
import { runCommand } from "../lib/run.ts";
import {
  checkSocketNeedsTarget,
  explicitTargetMissing,
  lookupExits,
  TARGET_FLAGS,
} from "../lib/target.ts";

const USAGE = `Usage: run.sh [-s NAME | -t TARGET [-S SOCKET]] -c COMMAND [-T SECONDS] [--json] [-h]
       run.sh [-s NAME | -t TARGET [-S SOCKET]] [-T SECONDS] [--json] -- COMMAND...

Run one command in a tmux pane, wait for it, print what it printed and exit
with its exit status.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -c, --command TEXT    the command (or give it after --)
  -T, --timeout SECS    seconds to wait for the command (default 30; decimals ok)
      --max-lines N     print at most N lines: the first and last ones, and between
                        them one line saying how many were left out and which
                        private file holds the whole output
      --json            print {"output", "exit_code", "timed_out", "duration_ms",
                        "run_id", "truncated", "lines_total", "output_file",
                        "output_lost", "cursor"}: cursor (for capture-pane.sh
                        --since) marks the pane's output when the run ended
  -h, --help            show this help

In a shell (a "shell" session, or a pane running bash, sh, zsh, ...) stdout
is exactly what the command printed, every line of it however long (the
pane's output is tapped for the run), and the exit status is the command's.
In a Python REPL or gdb, stdout is what appeared before the prompt came
back; the exit status is 1 when Python printed a traceback, else 0. Output
is the text as a terminal shows it: \r progress redrawn, tabs kept, colours
dropped. With no target,
the registry's only session is used.

Exit codes: the command's exit status; 124 timed out (the output so far is
printed and the command keeps running in the pane); 3 pane or server gone;
4 invalid arguments, unknown name or auto-detect failure; 5 output incomplete
(the pane pipes its output elsewhere, so it could not be tapped, and its
full history dropped lines of the run).

Examples:
  run.sh -s my-shell -c 'make test'
  run.sh -s my-shell -T 300 -- pytest -q tests/
  run.sh -s my-python -c 'print(6*7)'
  run.sh -t build:0.0 -S /tmp/claude-tmux-sockets/claude.sock -c 'ls -la' --json`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    command: { type: "string", short: "c" },
    timeout: { type: "string", short: "T" },
    "max-lines": { type: "string" },
    json: { type: "boolean" },
  },
  rest: true,
  usageExit: 4,
  exits: [
    ...lookupExits(4),
    [TmuxNotFoundError, 4],
    [UnsafePathError, 4],
    [PaneNotFoundError, 3],
    [ServerNotRunningError, 3],
    [SendFailedError, 3],
    [TmuxToolError, 3],
  ],
  formatError: (error) => error instanceof UsageError ? `Error: ${error.message}` : undefined,
  async main(flags, rest) {
    checkSocketNeedsTarget(flags);
    if (explicitTargetMissing(flags)) throw new UsageError("target must not be empty");
    if (flags.command !== undefined && rest.length > 0) {
      throw new UsageError("give the command either with -c or after --, not both");
    }
    const command = flags.command ?? rest.join(" ");
    if (command.trim() === "") throw new UsageError("command is required (-c COMMAND)");
    const timeout = parseNumber(flags.timeout ?? "30", {
      message: "timeout must be a positive number of seconds",
    });
    const maxLines = flags["max-lines"] === undefined
      ? undefined
      : parseNumber(flags["max-lines"], {
        integer: true,
        min: 1,
        message: "max-lines must be a positive integer",
      });

    const context = new Context();
    const { server, target, entry } = await context.locate(flags, { touch: true });
    // A cursor (--json) needs the pane's output log; the run then reads that log.
    const log = flags.json ? await openLog(server, target, context.paths.socketDir) : null;
    const outcome = await runCommand(server, target, {
      command,
      type: typeof entry?.type === "string" ? entry.type : undefined,
      waitMs: timeout * 1000,
      maxLines,
      socketDir: context.paths.socketDir,
    });
    if (outcome.kind === "pane_gone") {
      console.error(`Error: Pane ${target} is gone (${outcome.reason})`);
      return 3;
    }
    if (flags.json) {
      printJson({
        output: outcome.output,
        exit_code: outcome.exitCode,
        timed_out: outcome.timedOut,
        duration_ms: outcome.durationMs,
        run_id: outcome.runId,
        truncated: outcome.truncated,
        lines_total: outcome.linesTotal,
        output_file: outcome.outputFile ?? null,
        output_lost: outcome.outputLost,
        cursor: cursorAtEnd(log),
      });
    } else if (outcome.output !== "") {
      console.log(outcome.output);
    }
    if (outcome.outputLost) {
      console.error(
        `Error: Output incomplete: pane ${target} pipes its output elsewhere and its full ` +
          "history dropped lines of this run",
      );
      return 5;
    }
    switch (outcome.kind) {
      case "completed":
        return outcome.exitCode;
      case "timed_out":
        console.error(
          `Timed out after ${timeout}s: the command is still running in pane ${target}`,
        );
        return 124;
    }
  },
});
