/**
 * A tmux server: one socket (a path, a name, or tmux's default) and the
 * tmux executable that talks to it. Every tmux call of the core goes through
 * {@link Server.run} or {@link Server.spawn}, so the socket flag and the
 * executable are decided here once; listings are one `-F` call each.
 *
 * A long-lived process (the MCP server) keeps one `Server` per socket and
 * reuses it for every operation.
 *
 * @module
 */
import { PaneNotFoundError, ServerNotRunningError } from "./errors.ts";
import { healthFromPanes, type PaneHealth } from "./health.ts";
import { Pane, type PaneServer } from "./pane.ts";
import { findPane, PANE_FORMAT, type PaneInfo, type PaneMatch, parsePanes } from "./panes.ts";
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
}

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

  /** A server on `socket` (tmux's default socket when empty). */
  constructor(socket: Socket = {}, options: ServerOptions = {}) {
    this.socket = { ...socket };
    this.program = options.program;
  }

  /** The socket as messages name it (its path, `socket name 'N'`, or `undefined` for the default). */
  get label(): string | undefined {
    return socketLabel(this.socket);
  }

  /**
   * Runs one tmux command on this server and returns its stdout.
   *
   * @throws {ServerNotRunningError} no server answers on the socket.
   * @throws {TmuxCommandError} tmux exited non-zero.
   * @throws {TmuxTimeoutError} the call ran past its bound.
   */
  run(args: string[], options: RunTmuxOptions = {}): Promise<string> {
    return tmux(args, { ...options, socket: this.socket, program: this.program });
  }

  /** Starts a long-lived tmux process on this server (a control-mode client). */
  spawn(args: string[]): Deno.ChildProcess {
    return spawnTmux(args, { socket: this.socket, program: this.program });
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
    const panes = await this.panes(options);
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
    const panes = await this.panes(options);
    if (panes === null) throw new ServerNotRunningError(this.label);
    const match = findPane(panes, target);
    if (!match.pane) throw new PaneNotFoundError(target, match.sessionExists);
    return new Pane(this, match.pane);
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

/** A pane's health together with the pane itself (when it exists). */
export interface PaneInspection {
  /** The health verdict. */
  health: PaneHealth;
  /** The pane, matched exactly; absent when it or its server is missing. */
  pane?: Pane;
}
