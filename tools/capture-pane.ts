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
import { cursorNow, parseCursor, readSince } from "../lib/cursor.ts";
import { KEEP_SEGMENTS, SEGMENT_BYTES } from "../lib/log.ts";
import {
  checkSocketNeedsTarget,
  explicitTargetMissing,
  lookupExits,
  TARGET_FLAGS,
} from "../lib/cli/target.ts";

/** What a pane's output log keeps, in MiB. */
const LOG_MIB = (SEGMENT_BYTES * KEEP_SEGMENTS) / (1024 * 1024);

const USAGE =
  `Usage: capture-pane.sh [-s NAME | -t TARGET [-S SOCKET]] [-n LINES] [-a] [-J] [-e] [--json] [-h]
       capture-pane.sh [-s NAME | -t TARGET [-S SOCKET]] --since CURSOR [--json]

Print the text of a tmux pane: the visible screen by default.

Options:
  -s, --session NAME    registered session name
  -t, --target TARGET   tmux target (session, session:window.pane or %id)
  -S, --socket PATH     tmux socket path (with -t; default: tmux's default socket)
  -n, --lines N         the last N lines, history included
  -a, --all             the whole history and the screen
  -J, --join            join wrapped lines
  -e, --escapes         keep colour and attribute escapes (off by default)
      --json            print {"target", "lines": [...], "cursor"}: "cursor" marks
                        this point of the pane's output (null when it can't be
                        logged); pass it to --since to read what comes after
      --since CURSOR    print only the lines the pane printed after CURSOR (from
                        its output log, whatever its history still holds); with
                        --json, {"target", "lines", "cursor", "lines_lost"}
  -h, --help            show this help

Trailing blank lines are dropped. With no target, the registry's only
session is used. A cursor starts the pane's output log (pipe-pane into a
private folder, kept until the session is killed or cleaned up; its last
${LOG_MIB} MiB). When lines after a cursor are no longer kept, --since says how many
were lost (stderr, or "lines_lost"). A cursor of another pane is an argument
error.

Exit codes: 0 captured; 1 invalid arguments, unknown name or auto-detect
failure, or a pane whose output can't be logged (--since); 2 pane or session
missing; 4 server not running.

Examples:
  capture-pane.sh -s my-python
  capture-pane.sh -s build -n 200 -J > build-output.txt
  capture-pane.sh -t crashed:0.0 -S /tmp/claude-tmux-sockets/claude.sock -a
  capture-pane.sh -s my-shell --json | jq -r '.lines[-1]'
  capture-pane.sh -s build --since "$cursor" --json`;

await runTool({
  usage: USAGE,
  flags: {
    ...TARGET_FLAGS,
    lines: { type: "string", short: "n" },
    all: { type: "boolean", short: "a" },
    join: { type: "boolean", short: "J" },
    escapes: { type: "boolean", short: "e" },
    json: { type: "boolean" },
    since: { type: "string" },
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

    if (flags.since !== undefined && (flags.all || last !== undefined || flags.escapes)) {
      throw new UsageError("--since prints the output after a cursor: not with -n, -a or -e");
    }
    if (flags.since !== undefined) parseCursor(flags.since);

    const context = new Context();
    const { socketDir } = context.paths;
    const { pane, located: { target } } = await context.pane(flags, { touch: true });
    if (flags.since !== undefined) {
      const read = await readSince(pane, socketDir, flags.since);
      if (flags.json) {
        printJson({ target, lines: read.lines, cursor: read.cursor, lines_lost: read.linesLost });
        return 0;
      }
      if (read.linesLost === null) {
        console.error(
          `Warning: the output log of ${target} was restarted after this cursor; ` +
            "lines printed in between are not in it",
        );
      } else if (read.linesLost > 0) {
        console.error(
          `Warning: ${read.linesLost} lines after the cursor are no longer kept ` +
            `(the output log keeps the last ${LOG_MIB} MiB)`,
        );
      }
      if (read.lines.length > 0) console.log(read.lines.join("\n"));
      return 0;
    }
    // The cursor is taken before the capture: what it shows is never skipped by --since.
    const cursor = flags.json ? await cursorNow(pane, socketDir) : null;
    const lines = await pane.capture({
      history: flags.all ? "all" : last ?? 0,
      last,
      join: flags.join,
      escapes: flags.escapes,
      trimTrailingBlank: true,
    });
    if (flags.json) printJson({ target, lines, cursor });
    else if (lines.length > 0) console.log(lines.join("\n"));
    return 0;
  },
});
