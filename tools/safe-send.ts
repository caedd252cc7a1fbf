#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * safe-send: send a command to a pane after a health check, with retries,
 * and optionally wait for a pattern in the output that follows it.
 * Exit 0 sent (and pattern seen), 1 send failed, 2 wait timed out,
 * 3 pane not ready or gone, 4 invalid arguments or look-up error.
 *
 * @module
 */
import { MAX_SECONDS, MissingArgumentError, parseNumber, printJson, runTool } from "../lib/cli.ts";
import {
  SendFailedError,
  TmuxNotFoundError,
  TmuxToolError,
  UnsafePathError,
  UsageError,
} from "../lib/errors.ts";
import { FAILED_EXIT, HEALTH_EXIT_CODES } from "../lib/cli/exits.ts";
import { timeoutReport } from "../lib/cli/report.ts";
import { waitExtras } from "../lib/cli/waits.ts";
import { Context } from "../lib/context.ts";
import { parseKeys } from "../lib/keys.ts";
import { compilePattern } from "../lib/lines.ts";
import { safeSend } from "../lib/safe_send.ts";
import { explicitTargetMissing, lookupExits, TARGET_FLAGS } from "../lib/cli/target.ts";

const USAGE =
  `Usage: safe-send.sh [-s NAME | -t TARGET [-S SOCKET | -L NAME]] -c COMMAND [-l | -m] [-w PATTERN] [-T SECONDS] [-r N] [-i SECONDS] [-v] [-h]
                    [--keys KEYS] [--fail PATTERN] [--idle SECONDS] [--print | --print-match] [--json] [--tail N] [--no-enter-check]

Send a command to a tmux pane safely: check the pane's health first, retry
failed sends, and optionally wait for PATTERN in the output that follows.

Options:
  -s, --session NAME      registered session name
  -t, --target TARGET     tmux target (session, session:window.pane or %id)
  -S, --socket PATH       tmux socket path (with -t)
  -L, --socket-name NAME  tmux socket name (with -t)
  -c, --command TEXT      text to send (required; -c "" sends just Enter)
  -l, --literal           send TEXT literally, without Enter
  -m, --multiline         paste TEXT as one block ending with a blank line (REPL blocks)
      --keys KEYS         press tmux keys by name, in order, with no Enter added
                          (instead of -c): 'Space', 'q', 'C-c', 'Escape : w q Enter',
                          'Up', 'PageDown', 'M-x', 'F1'; an unknown name is an
                          argument error (exit 4), never typed as text
  -w, --wait PATTERN      wait for PATTERN (extended regex, per line) in the output
                          that appears after the send
      --fail PATTERN      stop waiting with exit 5 when a line of the output matches
                          PATTERN before one matches -w (stderr names the line)
      --idle SECS         also wait until the pane has printed nothing for SECS
                          (decimals ok); without -w, wait for quiet alone
      --print             print on stdout the output between the send and the end of
                          the wait (-w match, --idle, --fail or timeout), from the
                          pane's byte stream: a debugger step in one call
      --print-match       print the line that matched -w on stdout
      --json              print {"result", "line", "cursor"} ("output": [...] with
                          --print): result is sent, matched, quiet, failed,
                          timed_out, pane_gone or not_ready; cursor (for
                          capture-pane.sh --since) is at the end of the printed
                          output with --print, else at the send
      --tail N            on timeout, show the last N lines of the pane (default 20)
      --no-enter-check    do not check that Enter arrived (see below)
  -T, --timeout SECS      seconds to wait for PATTERN (default 30; decimals ok)
  -r, --retries N         send attempts in total (default 3)
  -i, --interval SECS     first retry delay, doubled each time (default 0.5)
  -v, --verbose           progress on stderr
  -h, --help              show this help

Without -l or -m the text is sent as tmux keys followed by Enter, so key names
work (-c C-c sends Ctrl-C); any other text, including text that starts with
"-" or ends with ";", arrives as typed. With no target, the registry's only
session is used. A full-screen program (less, vim, top) is matched on its
whole screen once it has drawn since the send.

Enter that arrives: some programs drop an Enter that comes in the same burst
as the text. Without -l, -m or --keys (and unless -c is a single key name such
as C-c), safe-send watches the pane after the send: when the typed text is
still right before the cursor 0.4 s later, it presses Enter once more (-v says
so). Text that never shows at the cursor (a busy program) is left alone.

Exit codes: 0 sent (and pattern seen), 1 send failed after retries, 2 timed out
waiting for PATTERN, 3 pane not ready (or gone while waiting), 4 invalid arguments,
5 the --fail pattern matched first.

Examples:
  safe-send.sh -s my-python -c "print(42)" -w ">>>" -T 10
  safe-send.sh -s my-python -m -c "$(printf 'def foo():\\n    return 42')" -w ">>>"
  safe-send.sh -t work:0.0 -L mysocket -c C-c
  safe-send.sh -s pager --keys Space -w 'line 48'
  safe-send.sh -s build -c 'make' -w '^make: Leaving' --fail 'error:' -T 600
  safe-send.sh -s debug -c n -w '^\\(Pdb\\) ' --print
  safe-send.sh -s shell -c "-la" -l`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    "socket-name": { type: "string", short: "L" },
    command: { type: "string", short: "c" },
    literal: { type: "boolean", short: "l" },
    keys: { type: "string" },
    multiline: { type: "boolean", short: "m" },
    wait: { type: "string", short: "w" },
    timeout: { type: "string", short: "T" },
    retries: { type: "string", short: "r" },
    interval: { type: "string", short: "i" },
    verbose: { type: "boolean", short: "v" },
    fail: { type: "string" },
    idle: { type: "string" },
    "print-match": { type: "boolean" },
    print: { type: "boolean" },
    json: { type: "boolean" },
    tail: { type: "string" },
    "no-enter-check": { type: "boolean" },
  },
  usageExit: 4,
  bashUsage: true,
  exits: [
    ...lookupExits(4),
    [TmuxNotFoundError, 4],
    [UnsafePathError, 4],
    [SendFailedError, 1],
    [TmuxToolError, 1],
  ],
  plainUsageErrors: true,
  async main(flags) {
    const progress = flags.verbose
      ? (message: string) => console.error(`[safe-send] ${message}`)
      : undefined;
    const socketName = flags["socket-name"];
    if (flags.socket !== undefined && socketName !== undefined) {
      throw new UsageError("Cannot specify both -S and -L options");
    }
    if (flags.literal && flags.multiline) {
      throw new UsageError("Error: --multiline and --literal are mutually exclusive");
    }
    if (explicitTargetMissing({ ...flags, socketName })) {
      throw new MissingArgumentError("target is required");
    }
    if (
      flags.keys !== undefined && (flags.command !== undefined || flags.literal || flags.multiline)
    ) {
      throw new UsageError("Error: --keys replaces -c, -l and -m: give only one of them");
    }
    const command = flags.keys ?? flags.command;
    if (command === undefined) {
      throw new MissingArgumentError('command is required (use -c "" to send just Enter)');
    }
    if (flags.keys !== undefined) parseKeys(flags.keys);
    const timeout = parseNumber(flags.timeout ?? "30", {
      max: MAX_SECONDS,
      unit: "seconds",
      message: "timeout must be a positive number",
    });
    const attempts = parseNumber(flags.retries ?? "3", {
      integer: true,
      min: 1,
      message: "retries must be a positive integer (>= 1)",
    });
    const interval = parseNumber(flags.interval ?? "0.5", {
      max: MAX_SECONDS,
      unit: "seconds",
      message: "interval must be a positive number",
    });
    const { idle, tail, fail } = waitExtras(flags);
    const pattern = flags.wait ?? "";
    const matcher = pattern === "" ? undefined : compilePattern(pattern);
    if (fail && !matcher && idle === undefined) {
      throw new UsageError("Error: --fail needs -w or --idle (something to wait for)");
    }
    if (flags.print && !matcher && idle === undefined) {
      throw new UsageError("Error: --print needs -w or --idle (the end of the output to print)");
    }
    if (flags.print && flags["print-match"]) {
      throw new UsageError("Error: use either --print or --print-match (--json gives both)");
    }

    const context = new Context();
    const located = await context.locate({ ...flags, socketName }, { touch: true });
    const { server, target } = located;
    if (matcher) progress?.(`Will wait up to ${timeout}s for pattern '${pattern}'`);
    const outcome = await safeSend(server, target, {
      fail,
      idleMs: idle === undefined ? undefined : idle * 1000,
      text: command,
      mode: flags.keys !== undefined
        ? "press"
        : flags.multiline
        ? "paste"
        : flags.literal
        ? "literal"
        : "keys",
      matcher,
      waitMs: timeout * 1000,
      attempts,
      backoffMs: interval * 1000,
      intervalMs: interval * 1000,
      onProgress: progress,
      socketDir: context.paths.socketDir,
      startLog: context.registered(located),
      output: flags.print,
      cursor: flags.json,
      confirmEnter: !flags["no-enter-check"],
    });
    const code = await report();
    if (flags.json) {
      printJson({
        result: outcome.kind,
        line: "line" in outcome ? outcome.line : null,
        cursor: "cursor" in outcome ? outcome.cursor ?? null : null,
        ...(flags.print ? { output: "output" in outcome ? outcome.output ?? [] : [] } : {}),
      });
    } else if (flags.print && "output" in outcome && outcome.output?.length) {
      console.log(outcome.output.join("\n"));
    } else if (flags["print-match"] && outcome.kind === "matched") {
      console.log(outcome.line);
    }
    return code;

    /** The outcome's messages on stderr, and its exit code. */
    async function report(): Promise<number> {
      switch (outcome.kind) {
        case "not_ready":
          console.error(
            `Error: Pane not ready (health check failed with exit code ${
              HEALTH_EXIT_CODES[outcome.status]
            })`,
          );
          return 3;
        case "sent":
          return 0;
        case "matched":
          progress?.(`Pattern found: ${outcome.line}`);
          return 0;
        case "quiet":
          progress?.("The pane is quiet");
          return 0;
        case "failed":
          console.error(`Error: Failure pattern matched: ${outcome.line}`);
          return FAILED_EXIT;
        case "timed_out":
          console.error(
            await timeoutReport(
              pattern === ""
                ? `Error: Timeout waiting for the pane to be quiet for ${idle}s`
                : `Error: Timeout waiting for pattern '${pattern}'`,
              await server.pane(outcome.pane).catch(() => null),
              target,
              tail,
              outcome.lastText,
            ),
          );
          return 2;
        case "pane_gone":
          console.error(`Error: Stopped waiting for pattern '${pattern}' (${outcome.reason})`);
          return 3;
      }
    }
  },
});
