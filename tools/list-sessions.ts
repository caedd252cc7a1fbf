#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * list-sessions: every registered session with its status, as a table or JSON.
 * Status comes from one `list-panes -a` call per socket.
 *
 * @module
 */
import { cut, pad, printJson, runTool } from "../lib/cli.ts";
import { nowEpochSeconds } from "../lib/env.ts";
import {
  RegistryInvalidError,
  RegistryLockTimeoutError,
  TmuxNotFoundError,
} from "../lib/errors.ts";
import { sessionJson } from "../lib/cli/json.ts";
import { Context } from "../lib/context.ts";
import { sessionStates, type SessionSummary, summarizeSession } from "../lib/sessions.ts";
import { timeAgo } from "../lib/time.ts";

const USAGE = `Usage: list-sessions.sh [--json] [-h]

List every registered tmux session with its status: alive, dead, missing,
zombie, server (tmux server not running) or unknown.

Options:
  --json      print JSON instead of a table; each session also has "program"
              (the program in its pane's foreground) and "activity": "busy"
              (a program other than the session's own shell, REPL or gdb is
              in front) or "idle" (null when the session is not alive)
  -h, --help  show this help

Examples:
  list-sessions.sh
  list-sessions.sh --json
  list-sessions.sh --json | jq -r '.sessions[] | select(.status == "alive") | .name'`;

const EMPTY_JSON = `{"sessions": [], "total": 0, "alive": 0, "dead": 0}`;
/** Header and width of each column (bash `printf "%-20s %-20s %-20s %-10s %-8s %-15s\n"`). */
const COLUMNS = [
  ["NAME", 20],
  ["SOCKET", 20],
  ["TARGET", 20],
  ["STATUS", 10],
  ["PID", 8],
  ["CREATED", 15],
] as const;

await runTool({
  usage: USAGE,
  flags: { json: { type: "boolean" } },
  usageExit: 1,
  bashUsage: true,
  exits: [[RegistryInvalidError, 1], [RegistryLockTimeoutError, 75], [TmuxNotFoundError, 1]],
  async main(flags) {
    const context = new Context();
    const states = await sessionStates(
      await context.registry.read(),
      (path) => context.server({ path }),
      { programs: flags.json },
    );
    if (states.length === 0) {
      console.log(flags.json ? EMPTY_JSON : "No sessions registered.");
      return 0;
    }
    const rows = states.map(summarizeSession);
    const alive = rows.filter((row) => row.status === "alive").length;
    if (flags.json) {
      printJson({
        sessions: rows.map(sessionJson),
        total: rows.length,
        alive,
        dead: rows.length - alive,
      });
    } else {
      console.log(table(rows, nowEpochSeconds(), alive));
    }
    return 0;
  },
});

/** The table: header, dashes, one row per session, a blank line and the totals. */
function table(rows: SessionSummary[], now: number, alive: number): string {
  const line = (values: readonly string[]) =>
    values.map((value, i) => pad(value, COLUMNS[i][1])).join(" ");
  const lines = [
    line(COLUMNS.map(([header]) => header)),
    line(COLUMNS.map(([header]) => "-".repeat(header.length))),
    ...rows.map((row) =>
      line([
        cut(row.name, 20),
        cut(row.socketBasename ?? "-", 20),
        cut(row.target ?? "-", 20),
        row.status,
        row.pid === null ? "-" : String(row.pid),
        timeAgo(row.createdAt ?? undefined, now),
      ])
    ),
    "",
    `Total: ${rows.length} | Alive: ${alive} | Dead: ${rows.length - alive}`,
  ];
  return lines.join("\n");
}
