#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux,ps --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * run: run one command in a pane (a shell, Python, pdb, gdb, lldb, node, or
 * any prompt-driven program with --prompt) and print what it printed; exit
 * with its exit status. 124 timed out, 7 waiting for input (both resumable
 * with --resume), 6 refused (nothing typed), 3 pane gone, 4 invalid
 * arguments or look-up error, 5 output incomplete.
 *
 * @module
 */
import { MAX_SECONDS, parseNumber, printJson, printText, runTool } from "../lib/cli.ts";
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
import { resumeRun, RUN_MODES, runCommand, type RunMode, type RunOutcome } from "../lib/run.ts";
import {
  checkSocketNeedsTarget,
  explicitTargetMissing,
  lookupExits,
  TARGET_FLAGS,
} from "../lib/cli/target.ts";

const USAGE =
  `Usage: run.sh [-s NAME | -t TARGET [-S SOCKET]] -c COMMAND [--mode MODE | --prompt REGEX] [-T SECONDS] [--max-lines N] [--json] [-h]
       run.sh [-s NAME | -t TARGET [-S SOCKET]] [-T SECONDS] [--max-lines N] [--json] -- COMMAND [ARG...]
       run.sh [-s NAME | -t TARGET [-S SOCKET]] --resume RUN_ID [-T SECONDS] [--max-lines N] [--json]

Run one command in a tmux pane, wait for it, print what it printed and exit
with its exit status. The program running in the pane decides how: a shell
(bash, sh/dash, zsh, ksh, fish), Python's REPL, pdb/ipdb, gdb, lldb or node's
REPL, each at its prompt. A full-screen program (vim, less), a program that
is busy or asks for input, or one run does not know is refused and nothing
is typed; the registry's session type is only a hint.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -c, --command TEXT    the command: a shell command line, Python code, or
                        debugger/REPL input (one input per line)
  -- COMMAND [ARG...]   the command as arguments: in a shell each argument
                        is passed as it is, as exec would (quoted one by one);
                        elsewhere they are joined with spaces
      --mode MODE       run in MODE (shell, python, pdb, gdb, lldb, node) when
                        the pane's program is not known by name (ssh, a wrapper)
      --prompt REGEX    drive another prompt-based program (sqlite3, psql, a
                        custom CLI): REGEX (grep -E) matches the line it waits
                        at; each line of COMMAND is typed after it, and the
                        output is what appears before it comes back
      --resume RUN_ID   wait again for a run that timed out or waited for
                        input (same pane) and print the rest of its output
  -T, --timeout SECS    seconds to wait (default 30; decimals ok)
      --max-lines N     print at most N lines: the first and last ones, and between
                        them one line saying how many were left out and which
                        private file holds the whole output
      --json            print {"output", "exit_code", "timed_out", "duration_ms",
                        "run_id", "truncated", "lines_total", "output_file",
                        "output_lost", "waiting_for_input", "prompt", "mode",
                        "cursor"}: cursor (for capture-pane.sh --since) marks
                        the pane's output when the run ended; on an error
                        {"error", "exit_code"} (with "run_id" and "program"
                        when a pane was refused)
  -h, --help            show this help

In a shell stdout is exactly what the command printed, every line of it
however long (the pane's output is tapped), and the exit status and $? are
the command's. The command reaches the shell as one quoted eval line between
invisible marks, so a syntax error, an unbalanced quote, a trailing backslash
or an open heredoc ends at once (bash: status 2) and never leaves the shell
at a continuation prompt; TABs arrive as TABs. In Python the code runs as a
file would (blank lines in blocks, statements after a block), values of
expressions are shown as in the REPL, and the status is 1 exactly when an
exception reached the top level. In pdb, gdb, lldb, node or with --prompt,
stdout is what appeared before the prompt came back (status 1 after node's
"Uncaught" or pdb's "***" lines, else 0). Output is the text as a terminal
shows it: \\r progress redrawn, tabs kept, colours dropped. With no target,
the registry's only session is used.

When the command stops on a partial line (a prompt) and ps shows the pane's
foreground process waiting for input, run stops (about half a second later),
prints the output so far and exits 7 naming the prompt. Answer it with
safe-send, then collect the rest with --resume RUN_ID (the id is in --json,
and in the message).

Exit codes: the command's exit status; 124 timed out (the output so far is
printed and the command keeps running; --resume collects it later); 7
waiting for input; 6 refused (the pane runs a full-screen program, a program
that is not at its prompt, or one run does not drive; nothing was typed);
3 pane or server gone; 4 invalid arguments, unknown name, unknown run id or
auto-detect failure; 5 output incomplete (the pane pipes its output
elsewhere, so it could not be tapped, and its full history dropped lines of
the run).

Examples:
  run.sh -s my-shell -c 'make test'
  run.sh -s my-shell -T 300 -- pytest -q tests/
  run.sh -s my-python -c 'print(6*7)'
  run.sh -s dbg -c 'p x'                      # pdb or gdb at its prompt
  run.sh -s db --prompt '^sqlite> ' -c 'select 1;'
  run.sh -s my-shell --json -c 'read -p "Name? " n; echo "hi $n"'   # exit 7
  safe-send.sh -s my-shell -c Alice && run.sh -s my-shell --resume RUN_ID
  run.sh -t build:0.0 -S /tmp/claude-tmux-sockets/claude.sock -c 'ls -la' --json`;

/** Exit codes of run's own outcomes. */
const EXIT = { gone: 3, lost: 5, refused: 6, waiting: 7, timedOut: 124 } as const;

/** The JSON of a run's result, in its documented key order. */
function resultJson(outcome: RunOutcome) {
  return {
    output: outcome.output,
    exit_code: outcome.exitCode,
    timed_out: outcome.timedOut,
    duration_ms: outcome.durationMs,
    run_id: outcome.runId,
    truncated: outcome.truncated,
    lines_total: outcome.linesTotal,
    output_file: outcome.outputFile ?? null,
    output_lost: outcome.outputLost,
    waiting_for_input: outcome.waitingForInput,
    prompt: outcome.prompt,
    mode: outcome.mode ?? null,
  };
}

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    command: { type: "string", short: "c" },
    timeout: { type: "string", short: "T" },
    "max-lines": { type: "string" },
    mode: { type: "string" },
    prompt: { type: "string" },
    resume: { type: "string" },
    json: { type: "boolean" },
  },
  rest: true,
  usageExit: 4,
  jsonErrorsFlag: "json",
  exits: [
    ...lookupExits(4),
    [TmuxNotFoundError, 4],
    [UnsafePathError, 4],
    [PaneNotFoundError, 3],
    [ServerNotRunningError, 3],
    [SendFailedError, 3],
    [TmuxToolError, 3],
  ],
  async main(flags, rest) {
    checkSocketNeedsTarget(flags);
    if (explicitTargetMissing(flags)) throw new UsageError("target must not be empty");
    const resume = flags.resume;
    if (resume !== undefined) {
      if (flags.command !== undefined || rest.length > 0) {
        throw new UsageError("--resume takes no command");
      }
      if (flags.mode !== undefined || flags.prompt !== undefined) {
        throw new UsageError("--resume takes neither --mode nor --prompt (the run has its own)");
      }
    } else {
      if (flags.command !== undefined && rest.length > 0) {
        throw new UsageError("give the command either with -c or after --, not both");
      }
      if ((flags.command ?? rest.join(" ")).trim() === "") {
        throw new UsageError("command is required (-c COMMAND)");
      }
      if (flags.mode !== undefined && !(RUN_MODES as readonly string[]).includes(flags.mode)) {
        throw new UsageError(
          `mode must be one of ${RUN_MODES.filter((m) => m !== "prompt").join(", ")}`,
        );
      }
      if (flags.mode !== undefined && flags.prompt !== undefined) {
        throw new UsageError("give either --mode or --prompt, not both");
      }
    }
    const timeout = parseNumber(flags.timeout ?? "30", {
      max: MAX_SECONDS,
      unit: "seconds",
      message: "timeout must be a positive number of seconds",
    });
    const maxLines = flags["max-lines"] === undefined ? undefined : parseNumber(
      flags["max-lines"],
      { integer: true, min: 1, message: "max-lines must be a positive integer" },
    );

    const context = new Context();
    const located = await context.locate(flags, { touch: true });
    const { server, target, entry } = located;
    const socketDir = context.paths.socketDir;
    // A cursor (--json) needs the pane's output log; the run then reads that log.
    const log = flags.json ? await openLog(server, target, socketDir) : null;
    const outcome = resume !== undefined
      ? await resumeRun(server, target, {
        runId: resume,
        waitMs: timeout * 1000,
        maxLines,
        socketDir,
      })
      : await runCommand(server, target, {
        ...(flags.command !== undefined ? { command: flags.command } : { args: rest }),
        mode: flags.mode as RunMode | undefined,
        prompt: flags.prompt,
        type: typeof entry?.type === "string" ? entry.type : undefined,
        waitMs: timeout * 1000,
        maxLines,
        socketDir,
        startLog: context.registered(located),
      });

    const failed = (message: string, code: number, extra: Record<string, unknown> = {}) => {
      console.error(`Error: ${message}`);
      if (flags.json) {
        printJson({ error: message, exit_code: code, run_id: outcome.runId, ...extra });
      }
      return code;
    };
    if (outcome.kind === "refused") {
      return failed(outcome.reason, EXIT.refused, { program: outcome.program });
    }
    if (outcome.kind === "pane_gone") {
      return failed(`Pane ${target} is gone (${outcome.reason})`, EXIT.gone, {
        output: outcome.output,
      });
    }
    if (flags.json) printJson({ ...resultJson(outcome), cursor: cursorAtEnd(log) });
    else if (outcome.output !== "") printText(outcome.output);
    if (outcome.outputLost) {
      console.error(
        `Error: Output incomplete: pane ${target} pipes its output elsewhere and its full ` +
          "history dropped lines of this run",
      );
      return EXIT.lost;
    }
    switch (outcome.kind) {
      case "completed":
        return outcome.exitCode;
      case "waiting_for_input":
        console.error(
          `Waiting for input in pane ${target}: ${JSON.stringify(outcome.prompt)} (answer with ` +
            `safe-send, then collect the rest with run --resume ${outcome.runId})`,
        );
        return EXIT.waiting;
      case "timed_out":
        console.error(
          `Timed out after ${timeout}s: the command is still running in pane ${target} ` +
            `(collect it later with run --resume ${outcome.runId})`,
        );
        return EXIT.timedOut;
    }
  },
});
