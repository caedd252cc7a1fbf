#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read
/**
 * find-sessions: list tmux sessions (registered or not) on one socket or on
 * every socket of the socket directory. Exit 0 listed, 1 a server was not
 * found or an argument or directory error.
 *
 * @module
 */
import { runTool } from "../lib/cli.ts";
import { oneLine, TmuxNotFoundError, TmuxToolError, UsageError } from "../lib/errors.ts";
import { Context } from "../lib/context.ts";
import { filterSessions, sessionLine, socketDescription, socketFiles } from "../lib/find.ts";
import type { Socket } from "../lib/tmux.ts";

const USAGE = `Usage: find-sessions.sh [-L NAME | -S PATH | -A] [-q TEXT] [-h]

List tmux sessions on a socket (tmux's default socket if none is given).

Options:
  -L, --socket NAME       tmux socket name (as tmux -L)
  -S, --socket-path PATH  tmux socket path (as tmux -S)
  -A, --all               every socket under the socket directory
  -q, --query TEXT        only sessions whose line contains TEXT (any case)
  -h, --help              show this help

Output per socket: "Sessions on LABEL:" then "  - NAME (attached|detached, started TIME)".

Exit codes: 0 listed, 1 no tmux server on a socket, invalid arguments,
or a missing or empty socket directory.

Examples:
  find-sessions.sh
  find-sessions.sh -S /tmp/claude-tmux-sockets/claude.sock -q python
  find-sessions.sh -L work
  find-sessions.sh --all`;

await runTool({
  usage: USAGE,
  flags: {
    socket: { type: "string", short: "L" },
    "socket-path": { type: "string", short: "S" },
    all: { type: "boolean", short: "A" },
    query: { type: "string", short: "q" },
  },
  usageExit: 1,
  bashUsage: true,
  exits: [[TmuxNotFoundError, 1]],
  // The original's messages carry no `Error:` prefix; callers grep them as they are.
  formatError: (error) => error instanceof TmuxToolError ? oneLine(error.message) : undefined,
  async main(flags) {
    // As in the original, an empty value counts as not given.
    const name = flags.socket || undefined;
    const path = flags["socket-path"] || undefined;
    if (flags.all && (name || path)) throw new UsageError("Cannot combine --all with -L or -S");
    if (name && path) throw new UsageError("Use either -L or -S, not both");
    const context = new Context();
    const sockets: Socket[] = flags.all
      ? (await socketFiles(context.paths.socketDir)).map((p) => ({ path: p }))
      : [path ? { path } : name ? { name } : {}];
    const listings = await Promise.all(
      sockets.map((socket) => context.server(socket).sessions().catch(socketFailure)),
    );
    let code = 0;
    sockets.forEach((socket, i) => {
      const label = socketDescription(socket);
      const sessions = listings[i];
      if (sessions === null || sessions instanceof Error) {
        console.error(oneLine(
          sessions === null
            ? `No tmux server found on ${label}`
            : `Cannot list sessions on ${label}: ${sessions.message}`,
        ));
        code = 1;
        return;
      }
      const shown = filterSessions(sessions, flags.query ?? "");
      if (shown.length === 0) {
        console.log(`No sessions found on ${label}`);
        return;
      }
      console.log(`Sessions on ${label}:`);
      for (const session of shown) console.log(`  - ${sessionLine(session)}`);
    });
    return code;
  },
});

/** One socket's tmux failure (a hung server, say) is reported with it; the others still list. */
function socketFailure(error: unknown): Error {
  if (error instanceof TmuxToolError && !(error instanceof TmuxNotFoundError)) return error;
  throw error;
}
