#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * wait-for-text: wait until a pane shows a line matching a pattern.
 * Exit 0 found; 1 timed out, pane or server gone, or an argument or look-up error.
 *
 * @module
 */
import { MAX_LINES, MAX_SECONDS, MissingArgumentError, parseNumber, runTool } from "../lib/cli.ts";
import { TmuxNotFoundError } from "../lib/errors.ts";
import { Context } from "../lib/context.ts";
import { compilePattern } from "../lib/lines.ts";
import { explicitTargetMissing, lookupExits, TARGET_FLAGS } from "../lib/cli/target.ts";
import { waitForText } from "../lib/wait.ts";

const USAGE =
  `Usage: wait-for-text.sh [-s NAME | -t TARGET [-S SOCKET]] -p PATTERN [-F] [-T SECONDS] [-i SECONDS] [-l LINES] [-h]

Wait until a tmux pane shows a line matching PATTERN.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -p, --pattern PATTERN extended regex matched per line, as grep -E (required)
  -F, --fixed           treat PATTERN as a fixed string, as grep -F
  -T, --timeout SECS    seconds to wait (integer, default 15)
  -i, --interval SECS   poll interval when tmux control mode is unavailable (default 0.5)
  -l, --lines LINES     lines of history to search besides the screen (integer, default 1000)
  -h, --help            show this help

With no target, the registry's only session is used. The wait wakes as soon
as the pane gets output; the match is decided on the pane's text with wrapped
lines joined.

Exit codes: 0 found; 1 timed out, pane or server gone, or an argument error.

Examples:
  wait-for-text.sh -s my-python -p '^>>> ?$' -T 15
  wait-for-text.sh -S /tmp/claude-tmux-sockets/claude.sock -t build:0.0 -p '[[:digit:]]+ passed'
  wait-for-text.sh -t work -F -p '$ ' -T 5`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    pattern: { type: "string", short: "p" },
    fixed: { type: "boolean", short: "F" },
    timeout: { type: "string", short: "T" },
    interval: { type: "string", short: "i" },
    lines: { type: "string", short: "l" },
  },
  usageExit: 1,
  bashUsage: true,
  exits: [...lookupExits(1), [TmuxNotFoundError, 1]],
  plainUsageErrors: true,
  async main(flags) {
    const pattern = flags.pattern ?? "";
    if (pattern === "" || explicitTargetMissing(flags)) {
      throw new MissingArgumentError("target and pattern are required");
    }
    const timeout = parseNumber(flags.timeout ?? "15", {
      integer: true,
      max: MAX_SECONDS,
      unit: "seconds",
      message: "timeout must be an integer number of seconds",
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
    const matcher = compilePattern(pattern, { fixed: flags.fixed });

    const { pane, located: { target } } = await new Context().pane(flags, { touch: true });
    const outcome = await waitForText(pane, {
      matcher,
      waitMs: timeout * 1000,
      intervalMs: interval * 1000,
      history: lines,
      label: `pane ${target}`,
    });
    switch (outcome.kind) {
      case "matched":
        return 0;
      case "timed_out":
        console.error(`Timed out after ${timeout}s waiting for pattern: ${pattern}`);
        console.error(`Last ${lines} lines from ${target}:`);
        console.error(outcome.lastText);
        return 1;
      case "pane_gone":
        console.error(`Error: Stopped waiting for pattern: ${pattern} (${outcome.reason})`);
        return 1;
    }
  },
});
