/**
 * A tmux server: one socket (a path, a name, or tmux's default) and the
 * tmux executable that talks to it. Every tmux call of the core goes through
 * {@link Server.run} or {@link Server.spawn}, so the socket flag and the
 * executable are decided here once; listings are one `-F` call each.
 *
 * A long-lived process (the MCP server) keeps one `Server` per socket and
 * reuses it for every operation. A *connected* server ({@link Server.connect})
 * sends its commands through one tmux control-mode client instead of
 * starting a tmux process for each (about 0.1 ms instead of 3 ms), and lets
 * every wait on a session share one client's `%output` notifications; it
 * reattaches when the tmux server restarts and starts a tmux process where
 * control mode can't do the job (see {@link Server.run}).
 *
 * @module
 */
import { ControlClient, ControlClosedError, type PaneEvents } from "./control.ts";
import { PaneNotFoundError, ServerNotRunningError, TmuxCommandError } from "./errors.ts";
import { healthFromPanes, type PaneHealth } from "./health.ts";
import { Pane, type PaneServer } from "./pane.ts";
import {
  findPane,
  PANE_FORMAT,
  type PaneInfo,
  type PaneMatch,
  parsePanes,
  targetSession,
} from "./panes.ts";
import { exactSession, formatTemplate, parseRows, tmuxArgument } from "./quote.ts";
import {
  type CallOptions,
  type RunTmuxOptions,
  type Socket,
  socketLabel,
  spawnTmux,
  tmux,
} from "./tmux.ts";

/** Options of a {@link Server}. */
export interface ServerOptions {
  /** The tmux executable (default `tmux` on PATH); tests point it at a fake. */
  program?: string;
  /** Connect at once (see {@link Server.connect}). */
  persistent?: boolean;
  /**
   * A connected server detaches a session's shared wait client once no wait
   * has used it for this long (default 30000).
   */
  watcherIdleMs?: number;
}

/** Options of {@link Server.events}. */
export interface EventsOptions {
  /** Give up attaching after this many milliseconds (default 2000). */
  timeoutMs?: number;
  /** Give up attaching when this aborts. */
  signal?: AbortSignal;
}

/**
 * Commands a connected server still runs as a tmux process: a new session
 * takes the client's environment and folder (a process's are the caller's
 * now), and killing a session (or the server) may end the control client
 * while it answers.
 */
const SPAWNED = new Set(["new-session", "kill-session", "kill-server"]);

/** Commands that only read: repeated as a process when the control client ended unanswered. */
const READS = new Set([
  "capture-pane",
  "display-message",
  "has-session",
  "list-clients",
  "list-panes",
  "list-sessions",
  "list-windows",
  "show-options",
]);

/** After a failed attach, commands go to tmux processes for this long before the next try. */
const REATTACH_AFTER_MS = 250;

/** One tmux session as the server lists it. */
export interface ServerSession {
  /** Session name. */
  name: string;
  /** Whether a client is attached. */
  attached: boolean;
  /** Creation time as tmux formats it (`#{t:session_created}`). */
  created: string;
}

const SESSION_FIELDS = ["session_name", "session_attached", "t:session_created"] as const;

/** A tmux server, reached through one socket. */
export class Server implements PaneServer {
  /** The socket. */
  readonly socket: Socket;
  /** The tmux executable (`undefined`: `tmux` on PATH). */
  readonly program?: string;
  #persistent = false;
  /** The command client last handed out (for {@link Server.send}). */
  #attached: ControlClient | null = null;
  #command?: Promise<ControlClient | null>;
  #commandFailedAt = -Infinity;
  readonly #watchers = new Map<string, Promise<ControlClient | null>>();
  /** How many waits use each shared wait client, and the timer that detaches an unused one. */
  readonly #watcherUse = new Map<
    ControlClient,
    { waits: number; idle?: ReturnType<typeof setTimeout> }
  >();
  readonly #watcherIdleMs: number;

  /** A server on `socket` (tmux's default socket when empty). */
  constructor(socket: Socket = {}, options: ServerOptions = {}) {
    this.socket = { ...socket };
    this.program = options.program;
    this.#watcherIdleMs = options.watcherIdleMs ?? 30_000;
    if (options.persistent) this.connect();
  }

  /** Whether commands go through a control-mode client (see {@link Server.connect}). */
  get persistent(): boolean {
    return this.#persistent;
  }

  /**
   * Makes this server send its commands through one control-mode client
   * (attached on first use, to the session tmux picks, and again after the
   * tmux server restarts or that session ends), and share one client per
   * session among waits. Meant for a long-lived process; call
   * {@link Server.close} when done, or the clients stay until the process
   * ends (each exits when its stdin closes).
   */
  connect(): this {
    this.#persistent = true;
    return this;
  }

  /** Detaches every control client of this server and waits until they are gone. */
  async close(): Promise<void> {
    this.#persistent = false;
    const clients = [this.#command, ...this.#watchers.values()];
    this.#command = undefined;
    this.#watchers.clear();
    for (const use of this.#watcherUse.values()) clearTimeout(use.idle);
    this.#watcherUse.clear();
    await Promise.all(clients.map(async (client) => await (await client)?.close()));
  }

  /** Same as {@link Server.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The socket as messages name it (its path, `socket name 'N'`, or `undefined` for the default). */
  get label(): string | undefined {
    return socketLabel(this.socket);
  }

  /**
   * Runs one tmux command (`;` arguments separate commands run together) on
   * this server and returns its stdout. A connected server sends it through
   * its control client; it starts a tmux process instead when there is
   * stdin (`load-buffer -`), for the commands that need one (new-session,
   * kill-session, kill-server), when no client can attach (no server yet),
   * and to repeat a read whose client ended before answering.
   *
   * @throws {ServerNotRunningError} no server answers on the socket.
   * @throws {TmuxCommandError} tmux exited non-zero (or answered `%error`).
   * @throws {TmuxTimeoutError} the call ran past its bound.
   * @throws {ControlClosedError} the control client ended after a command that changes something was sent.
   */
  async run(args: string[], options: RunTmuxOptions = {}): Promise<string> {
    const spawned = () => tmux(args, { ...options, socket: this.socket, program: this.program });
    if (!this.#persistent || options.stdin) return await spawned();
    const names = subcommands(args);
    if (names.some((name) => SPAWNED.has(name))) return await spawned();
    const client = await this.#commandClient();
    if (!client) return await spawned();
    try {
      return await client.command(args, options);
    } catch (error) {
      if (
        error instanceof ControlClosedError &&
        (!error.written || names.every((name) => READS.has(name)))
      ) {
        return await spawned();
      }
      throw error;
    }
  }

  /** Starts a long-lived tmux process on this server (a control-mode client). */
  spawn(args: string[]): Deno.ChildProcess {
    return spawnTmux(args, { socket: this.socket, program: this.program });
  }

  /**
   * The notifications of `pane` in `session`, to wake a wait: on a
   * connected server, through a client shared by every wait on that session
   * (closing the events leaves it attached; it is detached once no wait has
   * used it for `watcherIdleMs`); otherwise through a read-only client of
   * their own, detached when the events are closed. `null` when no client
   * can attach (the caller polls).
   */
  async events(
    session: string,
    pane: string,
    options: EventsOptions = {},
  ): Promise<PaneEvents | null> {
    if (!this.#persistent) return await ControlClient.attach(this, session, { ...options, pane });
    const command = await this.#command;
    if (command && !command.closed && command.session === session) return command.events(pane);
    // Shared by every wait on the session: not bound to one caller's signal.
    const watcher = await this.#live(
      () => this.#watchers.get(session),
      (attaching) => this.#watchers.set(session, attaching),
      () => ControlClient.attach(this, session, { timeoutMs: options.timeoutMs }),
    );
    if (!watcher) {
      this.#watchers.delete(session);
      return null;
    }
    const entry = this.#watchers.get(session);
    const use = this.#watcherUse.get(watcher) ?? { waits: 0 };
    this.#watcherUse.set(watcher, use);
    clearTimeout(use.idle);
    use.waits++;
    return watcher.events(pane, () => {
      if (--use.waits > 0) return;
      const idle = setTimeout(() => {
        this.#watcherUse.delete(watcher);
        // Gone from the map first: a wait from now on attaches a client of its own.
        if (this.#watchers.get(session) === entry) this.#watchers.delete(session);
        watcher.close();
      }, this.#watcherIdleMs);
      // An idle client never keeps the process alive.
      Deno.unrefTimer(idle);
      use.idle = idle;
    });
  }

  /**
   * A live shared client: the current one, or (once, however many callers
   * ask at the same time) a new one in place of one that ended.
   */
  async #live(
    get: () => Promise<ControlClient | null> | undefined,
    set: (attaching: Promise<ControlClient | null>) => void,
    attach: () => Promise<ControlClient | null>,
  ): Promise<ControlClient | null> {
    for (;;) {
      const current = get();
      const client = await current;
      if (client && !client.closed) return client;
      // Someone else replaced it meanwhile: use theirs.
      if (get() !== current) continue;
      const attaching = attach();
      set(attaching);
      return await attaching;
    }
  }

  /**
   * Hands a command to the command client of a connected server without
   * waiting for its answer (see `ControlClient.send`): it runs before any
   * later command of this server. `false` when no client is attached (the
   * caller then runs the command itself).
   */
  send(args: readonly string[]): boolean {
    const client = this.#attached;
    return this.#persistent && client !== null && !client.closed && client.send(args);
  }

  /** The command client, attaching one when there is none (or it ended). */
  async #commandClient(): Promise<ControlClient | null> {
    const current = await this.#command;
    if (current && !current.closed) return this.#attached = current;
    if (performance.now() - this.#commandFailedAt < REATTACH_AFTER_MS) return null;
    const client = await this.#live(
      () => this.#command,
      (attaching) => this.#command = attaching,
      () => ControlClient.attach(this, undefined, { readOnly: false }),
    );
    if (!client) this.#commandFailedAt = performance.now();
    // A close() meanwhile wins: don't keep a client it did not see.
    if (!this.#persistent) {
      await client?.close();
      return null;
    }
    return this.#attached = client;
  }

  /** Every pane of the server (one `list-panes -a` call), or `null` when no server runs. */
  async panes(options: CallOptions = {}): Promise<PaneInfo[] | null> {
    try {
      return parsePanes(
        await this.run(["list-panes", "-a", "-F", PANE_FORMAT], options),
      );
    } catch (error) {
      if (error instanceof ServerNotRunningError) return null;
      throw error;
    }
  }

  /**
   * Where `target` points (matched exactly: `foo` never matches `foobar`),
   * with the health of that pane: one tmux call.
   */
  async inspect(target: string, options: CallOptions = {}): Promise<PaneInspection> {
    const panes = await this.#candidates(target, options);
    const match: PaneMatch = panes ? findPane(panes, target) : { sessionExists: false };
    return {
      health: healthFromPanes(panes, target),
      pane: match.pane ? new Pane(this, match.pane) : undefined,
    };
  }

  /** The health of the pane `target` points at: one tmux call. */
  async health(target: string, options: CallOptions = {}): Promise<PaneHealth> {
    return (await this.inspect(target, options)).health;
  }

  /**
   * The pane `target` points at (matched exactly).
   *
   * @throws {ServerNotRunningError} no server on the socket.
   * @throws {PaneNotFoundError} the session or pane does not exist.
   */
  async pane(target: string, options: CallOptions = {}): Promise<Pane> {
    const panes = await this.#candidates(target, options);
    if (panes === null) throw new ServerNotRunningError(this.label);
    const match = findPane(panes, target);
    if (!match.pane) throw new PaneNotFoundError(target, match.sessionExists);
    return new Pane(this, match.pane);
  }

  /**
   * The panes `target` can match, in one tmux call whatever the number of
   * sessions: those of its session (`list-panes -s`), or of the window of a
   * `%id`; `[]` when that session or pane does not exist, `null` when no
   * server runs. {@link findPane} then matches exactly, as over every pane.
   */
  async #candidates(target: string, options: CallOptions): Promise<PaneInfo[] | null> {
    const scope = /^%\d+$/.test(target)
      ? ["-t", target]
      // `-t` names a window: `=NAME:` is the session's current one, `-s` widens to the session.
      : ["-s", "-t", `${exactSession(targetSession(target))}:`];
    try {
      return parsePanes(
        await this.run(["list-panes", ...scope, "-F", PANE_FORMAT], options),
      );
    } catch (error) {
      if (error instanceof ServerNotRunningError) return null;
      if (error instanceof TmuxCommandError && /can.t find/i.test(error.stderr)) return [];
      throw error;
    }
  }

  /** Every session of the server (one `list-sessions` call), or `null` when no server runs. */
  async sessions(options: CallOptions = {}): Promise<ServerSession[] | null> {
    let stdout: string;
    try {
      stdout = await this.run(["list-sessions", "-F", formatTemplate(SESSION_FIELDS)], options);
    } catch (error) {
      if (error instanceof ServerNotRunningError) return null;
      throw error;
    }
    return parseRows(stdout).filter((row) => row.length === SESSION_FIELDS.length).map((row) => ({
      name: row[0],
      attached: Number(row[1]) > 0,
      created: row[2],
    }));
  }

  /**
   * Kills the session `name` (matched exactly).
   *
   * @throws {ServerNotRunningError} no server on the socket.
   * @throws {TmuxCommandError} no such session.
   */
  async killSession(name: string, options: CallOptions = {}): Promise<void> {
    await this.run(["kill-session", "-t", tmuxArgument(exactSession(name))], options);
  }
}

/** The subcommands of an argument array: the first argument and each one after a `;`. */
function subcommands(args: readonly string[]): string[] {
  const names = args.length ? [args[0]] : [];
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === ";" || (args[i].endsWith(";") && !args[i].endsWith("\\;"))) {
      names.push(args[i + 1]);
    }
  }
  return names;
}

/** A pane's health together with the pane itself (when it exists). */
export interface PaneInspection {
  /** The health verdict. */
  health: PaneHealth;
  /** The pane, matched exactly; absent when it or its server is missing. */
  pane?: Pane;
}
