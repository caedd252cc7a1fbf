#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * cleanup-sessions: remove registry entries of sessions that are not healthy,
 * are older than a duration, or all of them. tmux sessions are never killed.
 *
 * @module
 */
import { runTool } from "../lib/cli.ts";
import {
  InvalidDurationError,
  RegistryInvalidError,
  RegistryLockTimeoutError,
  TmuxNotFoundError,
} from "../lib/errors.ts";
import { Context } from "../lib/context.ts";
import { cleanupSessions } from "../lib/sessions.ts";
import { parseDuration } from "../lib/time.ts";

const USAGE = `Usage: cleanup-sessions.sh [--dry-run] [--all] [--older-than DURATION] [-h]

Remove registry entries of sessions that are dead, missing, zombies or whose
tmux server is not running. Only registry entries are removed: tmux sessions
are never killed (use kill-session.sh or tmux kill-session for that).

Options:
  --dry-run              show what would be removed, change nothing
  --all                  remove every entry
  --older-than DURATION  also remove entries created more than DURATION ago
                         (30s, 30m, 2h, 1d; 0s means no age limit)
  -h, --help             show this help

Examples:
  cleanup-sessions.sh
  cleanup-sessions.sh --dry-run
  cleanup-sessions.sh --older-than 1h
  cleanup-sessions.sh --all`;

await runTool({
  usage: USAGE,
  flags: {
    "dry-run": { type: "boolean" },
    all: { type: "boolean" },
    "older-than": { type: "string" },
  },
  usageExit: 1,
  bashUsage: true,
  exits: [[RegistryInvalidError, 1], [RegistryLockTimeoutError, 75], [TmuxNotFoundError, 1]],
  formatError: (error) =>
    error instanceof InvalidDurationError ? `Error: ${error.message}\n${error.hint}` : undefined,
  async main(flags) {
    const label = flags["older-than"] ?? "0s";
    const olderThanSeconds = parseDuration(label);
    if (olderThanSeconds === undefined) throw new InvalidDurationError(label);
    const dryRun = flags["dry-run"] ?? false;
    const context = new Context();
    const serverOf = (path: string) => context.server({ path });
    const { registryEmpty, items } = await cleanupSessions(context.registry, serverOf, {
      all: flags.all ?? false,
      olderThanSeconds,
      olderThanLabel: label,
      // The clock, not NOW_EPOCH: as in the original, NOW_EPOCH only changes the age
      // list-sessions shows, never which entries a cleanup removes.
      nowEpoch: Math.floor(Date.now() / 1000),
    }, { dryRun, socketDir: context.paths.socketDir });
    if (registryEmpty) {
      console.log("No sessions in registry.");
      return 0;
    }
    if (items.length === 0) {
      console.log("No sessions to clean up.");
      return 0;
    }
    const lines = items.map(({ name, reason }) => `  - ${name} (${reason})`);
    if (dryRun) {
      console.log([`Dry-run mode: Would remove ${items.length} session(s):`, ...lines].join("\n"));
    } else {
      console.log([
        `Removing ${items.length} session(s):`,
        ...lines,
        `Removed ${items.length} session(s) successfully.`,
      ].join("\n"));
    }
    return 0;
  },
});
