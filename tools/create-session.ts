#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux,test --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME --allow-sys=uid --allow-read --allow-write
/**
 * create-session: start a detached tmux session (bash, python3 REPL or gdb)
 * and register it. Exit 0 created, 1 bad arguments or unusable registry,
 * 2 already exists, 3 tmux failed, 75 registry lock timeout.
 *
 * @module
 */
import { MissingArgumentError, printJson, runTool } from "../lib/cli.ts";
import {
  RegistryInvalidError,
  RegistryLockTimeoutError,
  SessionExistsError,
  TmuxNotFoundError,
  TmuxToolError,
  UsageError,
} from "../lib/errors.ts";
import { createSession, isTmuxFailure, type SessionKind } from "../lib/lifecycle.ts";
import { Context } from "../lib/context.ts";

const USAGE =
  `Usage: create-session.sh -n NAME [--shell|--python|--gdb] [-S SOCKET] [-w WINDOW] [--cwd DIR] [--no-register] [-h]
       create-session.sh -n NAME --gdb [options] -- PROGRAM [ARG...]

Create a detached tmux session and register it.

Options:
  -n, --name NAME      session name (required; no '.', ':' or control characters)
      --shell          run bash (default), type "shell"
      --python         run python3 -q with PYTHON_BASIC_REPL=1, type "python-repl"
      --gdb            run gdb (quiet, pagination and confirmations off, so
                       programs that drive it never hang), type "debugger";
                       with -- PROGRAM [ARG...], gdb loads PROGRAM with ARGs
  -S, --socket PATH    tmux socket path (default: <socket dir>/claude.sock)
  -w, --window NAME    window name (default: shell)
      --cwd DIR        start the session in folder DIR (default: the current one)
      --no-register    do not add the session to the registry
  -h, --help           show this help

Prints JSON: {"name", "socket", "target", "type", "pid", "window", "registered"}.

Exit codes: 0 created, 1 invalid arguments or unusable registry, 2 session
already exists, 3 tmux failed to create it, 75 registry lock timeout.

Examples:
  create-session.sh -n my-python --python
  create-session.sh -n build --shell -w build
  create-session.sh -n scratch --no-register -S /tmp/my.sock
  create-session.sh -n debug --gdb | jq -r .target
  create-session.sh -n debug --gdb --cwd ~/src/app -- ./app --verbose`;

/** tmux could not create the session (the original's words, then why). */
class CreateFailedError extends TmuxToolError {
  override name = "CreateFailedError";
  constructor(session: string, cause: Error) {
    super(`Failed to create tmux session '${session}': ${cause.message}`);
  }
}

const KIND_FLAGS = ["shell", "python", "gdb"] as const satisfies readonly SessionKind[];

await runTool({
  usage: USAGE,
  flags: {
    name: { type: "string", short: "n" },
    shell: { type: "boolean" },
    python: { type: "boolean" },
    gdb: { type: "boolean" },
    socket: { type: "string", short: "S" },
    window: { type: "string", short: "w" },
    cwd: { type: "string" },
    "no-register": { type: "boolean" },
  },
  rest: true,
  usageExit: 1,
  bashUsage: true,
  noArgsExit: 1,
  exits: [
    [SessionExistsError, 2],
    [RegistryInvalidError, 1],
    [RegistryLockTimeoutError, 75],
    [TmuxNotFoundError, 1],
    [CreateFailedError, 3],
  ],
  async main(flags, rest) {
    if (!flags.name) throw new MissingArgumentError("Session name is required (use -n <name>)");
    if (flags.socket === "") throw new UsageError("-S requires a socket path");
    const kinds = KIND_FLAGS.filter((kind) => flags[kind]);
    if (kinds.length > 1) {
      throw new UsageError("Use only one of --shell, --python and --gdb");
    }
    const name = flags.name;
    const created = await createSession(new Context(), {
      name,
      kind: kinds[0],
      socket: flags.socket,
      window: flags.window,
      register: !flags["no-register"],
      cwd: flags.cwd,
      args: rest,
    }).catch((error) => {
      if (isTmuxFailure(error)) throw new CreateFailedError(name, error);
      throw error;
    });
    printJson(created);
    return 0;
  },
});
