#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * wait-for-text: wait until a pane shows a line matching a pattern.
 * Exit 0 found; 1 timed out, pane or server gone, or an argument or look-up error.
 *
 * @module
 */
import {
  MAX_LINES,
  MAX_SECONDS,
  MissingArgumentError,
  parseNumber,
  printJson,
  runTool,
} from "../lib/cli.ts";
import { TmuxNotFoundError, UnsafePathError } from "../lib/errors.ts";
import { timeoutReport } from "../lib/cli/report.ts";
import { waitExtras } from "../lib/cli/waits.ts";
import { FAILED_EXIT } from "../lib/cli/exits.ts";
import { Context } from "../lib/context.ts";
import { cursorNow } from "../lib/cursor.ts";
import { compilePattern } from "../lib/lines.ts";
import { explicitTargetMissing, lookupExits, TARGET_FLAGS } from "../lib/cli/target.ts";
import { waitForNewText, waitForText } from "../lib/wait.ts";

const USAGE =
  `Usage: wait-for-text.sh [-s NAME | -t TARGET [-S SOCKET]] -p PATTERN [-F] [-T SECONDS] [-i SECONDS] [-l LINES] [-h]
                        [--new] [--fail PATTERN] [--idle SECONDS] [--print-match] [--json] [--tail N]

Wait until a tmux pane shows a line matching PATTERN.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -p, --pattern PATTERN extended regex matched per line, as grep -E (required
                        unless --idle is given)
  -F, --fixed           treat PATTERN (and --fail's) as a fixed string, as grep -F
  -T, --timeout SECS    seconds to wait (default 15; decimals ok)
  -i, --interval SECS   poll interval when tmux control mode is unavailable (default 0.5)
  -l, --lines LINES     lines of history to search besides the screen (integer, default 1000)
      --new             only output that appears after the tool starts counts (text
                        already there, such as a typed command line, never matches)
      --fail PATTERN    stop at once with exit 5 when a line matches PATTERN before
                        one matches -p (stderr names the line)
      --idle SECS       also wait until the pane has printed nothing for SECS
                        (decimals ok); without -p, wait for quiet alone
      --print-match     print the matching line on stdout
      --json            print {"result", "line", "cursor"}: result is matched, quiet,
                        failed, timed_out or pane_gone; cursor (for capture-pane.sh
                        --since) marks the pane's output when the wait began
      --tail N          on timeout, show the last N lines of the pane (default 20)
  -h, --help            show this help

With no target, the registry's only session is used. The wait wakes as soon
as the pane gets output; the match is decided on the pane's text with wrapped
lines joined. With --new, a full-screen program (less, vim, top) is matched on
its whole screen once it has drawn since the start. --idle is timed on the
pane's output as tmux reports it (control mode), from the start of the wait.

Exit codes: 0 found (or quiet); 1 timed out, pane or server gone, or an
argument error; 5 the --fail pattern matched first.

Examples:
  wait-for-text.sh -s my-python -p '^>>> ?$' -T 15
  wait-for-text.sh -S /tmp/claude-tmux-sockets/claude.sock -t build:0.0 -p '[[:digit:]]+ passed'
  wait-for-text.sh -t work -F -p '$ ' -T 5
  wait-for-text.sh -s build --new -p '^DONE' --fail 'error:' -T 600
  wait-for-text.sh -s build --idle 2 -T 300`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    pattern: { type: "string", short: "p" },
    fixed: { type: "boolean", short: "F" },
    timeout: { type: "string", short: "T" },
    interval: { type: "string", short: "i" },
    lines: { type: "string", short: "l" },
    new: { type: "boolean" },
    fail: { type: "string" },
    idle: { type: "string" },
    "print-match": { type: "boolean" },
    json: { type: "boolean" },
    tail: { type: "string" },
  },
  usageExit: 1,
  bashUsage: true,
  exits: [...lookupExits(1), [TmuxNotFoundError, 1], [UnsafePathError, 1]],
  plainUsageErrors: true,
  async main(flags) {
    const pattern = flags.pattern ?? "";
    if ((pattern === "" && flags.idle === undefined) || explicitTargetMissing(flags)) {
      throw new MissingArgumentError("target and pattern are required");
    }
    const timeout = parseNumber(flags.timeout ?? "15", {
      max: MAX_SECONDS,
      unit: "seconds",
      message: "timeout must be a number of seconds",
    });
    const lines = parseNumber(flags.lines ?? "1000", {
      integer: true,
      max: MAX_LINES,
      message: "lines must be an integer",
    });
    const interval = parseNumber(flags.interval ?? "0.5", {
      max: MAX_SECONDS,
      unit: "seconds",
      message: "interval must be a positive number",
    });
    const { idle, tail, fail } = waitExtras(flags, { fixed: flags.fixed });
    const matcher = pattern === "" ? undefined : compilePattern(pattern, { fixed: flags.fixed });

    const context = new Context();
    const { pane, located } = await context.pane(flags, { touch: true });
    const { target } = located;
    const wait = {
      matcher,
      fail,
      idleMs: idle === undefined ? undefined : idle * 1000,
      waitMs: timeout * 1000,
      intervalMs: interval * 1000,
      label: `pane ${target}`,
    };
    const cursor = flags.json ? await cursorNow(pane, context.paths.socketDir) : null;
    const outcome = flags.new
      ? await waitForNewText(pane, {
        ...wait,
        socketDir: context.paths.socketDir,
        startLog: context.registered(located),
      })
      : await waitForText(pane, { ...wait, history: lines });
    if (flags.json) {
      printJson({ result: outcome.kind, line: "line" in outcome ? outcome.line : null, cursor });
    } else if (flags["print-match"] && outcome.kind === "matched") {
      console.log(outcome.line);
    }
    switch (outcome.kind) {
      case "matched":
        return 0;
      case "quiet":
        return 0;
      case "failed":
        console.error(`Error: Failure pattern matched: ${outcome.line}`);
        return FAILED_EXIT;
      case "timed_out": {
        const awaited = pattern === ""
          ? `the pane to be quiet for ${idle}s`
          : `pattern: ${pattern}`;
        console.error(
          await timeoutReport(
            `Timed out after ${timeout}s waiting for ${awaited}`,
            pane,
            target,
            tail,
            outcome.lastText,
          ),
        );
        return 1;
      }
      case "pane_gone":
        console.error(`Error: Stopped waiting for pattern: ${pattern} (${outcome.reason})`);
        return 1;
    }
  },
});
