#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * capture-pane: print a pane's text (the screen, the last N lines, or the
 * whole history). Exit 0; 1 argument or look-up error; 2 pane or session
 * missing; 4 server not running.
 *
 * @module
 */
import { MAX_LINES, parseNumber, printJson, runTool } from "../lib/cli.ts";
import {
  PaneNotFoundError,
  ServerNotRunningError,
  TmuxNotFoundError,
  UnsafePathError,
  UsageError,
} from "../lib/errors.ts";
import { Context } from "../lib/context.ts";
import {
  checkSocketNeedsTarget,
  explicitTargetMissing,
  lookupExits,
  TARGET_FLAGS,
} from "../lib/cli/target.ts";

const USAGE =
  `Usage: capture-pane.sh [-s NAME | -t TARGET [-S SOCKET]] [-n LINES] [-a] [-J] [-e] [--json] [-h]

Print the text of a tmux pane: the visible screen by default.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -n, --lines N         the last N lines, history included
  -a, --all             the whole history and the screen
  -J, --join            join wrapped lines
  -e, --escapes         keep colour and attribute escapes (off by default)
      --json            print {"target", "lines": [...]}
  -h, --help            show this help

Trailing blank lines are dropped. With no target, the registry's only
session is used.

Exit codes: 0 captured; 1 invalid arguments, unknown name or auto-detect
failure; 2 pane or session missing; 4 server not running.

Examples:
  capture-pane.sh -s my-python
  capture-pane.sh -s build -n 200 -J > build-output.txt
  capture-pane.sh -t crashed:0.0 -S /tmp/claude-tmux-sockets/claude.sock -a
  capture-pane.sh -s my-shell --json | jq -r '.lines[-1]'`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    lines: { type: "string", short: "n" },
    all: { type: "boolean", short: "a" },
    join: { type: "boolean", short: "J" },
    escapes: { type: "boolean", short: "e" },
    json: { type: "boolean" },
  },
  usageExit: 1,
  exits: [
    ...lookupExits(1),
    [TmuxNotFoundError, 1],
    [UnsafePathError, 1],
    [PaneNotFoundError, 2],
    [ServerNotRunningError, 4],
  ],
  async main(flags) {
    checkSocketNeedsTarget(flags);
    if (explicitTargetMissing(flags)) throw new UsageError("target must not be empty");
    if (flags.all && flags.lines !== undefined) {
      throw new UsageError("use either -n or -a, not both");
    }
    const last = flags.lines === undefined ? undefined : parseNumber(flags.lines, {
      integer: true,
      min: 1,
      max: MAX_LINES,
      message: "lines must be a positive integer",
    });

    const { pane, located: { target } } = await new Context().pane(flags, { touch: true });
    const lines = await pane.capture({
      history: flags.all ? "all" : last ?? 0,
      last,
      join: flags.join,
      escapes: flags.escapes,
      trimTrailingBlank: true,
    });
    if (flags.json) printJson({ target, lines });
    else if (lines.length > 0) console.log(lines.join("\n"));
    return 0;
  },
});
