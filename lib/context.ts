/**
 * The context every face starts from: the environment turned, once, into
 * the toolkit's paths, its registry and its servers (one {@link Server} per
 * socket, kept for reuse), and the one place a target (a registered name, a
 * tmux target on a socket, or the registry's only session) becomes a pane.
 * A long-lived process makes a `persistent` context (its servers send their
 * commands through control mode) with an `access` policy, and closes it.
 *
 * @module
 */
import { type Env, type Paths, processEnv } from "./env.ts";
import type { Pane } from "./pane.ts";
import { type AccessOptions, AccessPolicy, type Action } from "./policy.ts";
import { Registry } from "./registry.ts";
import { Server } from "./server.ts";
import { resolveTarget, type TargetSpec } from "./target.ts";
import type { UsableEntry } from "./registry.ts";
import type { CallOptions } from "./tmux.ts";
import type { Socket } from "./tmux.ts";

/** Options of a {@link Context}. */
export interface ContextOptions {
  /** The environment (default: the toolkit's variables of the process environment). */
  env?: Env;
  /** The registry (default: the one `env` selects). */
  registry?: Registry;
  /** The tmux executable of every server (default `tmux` on PATH). */
  program?: string;
  /**
   * Connect every server (default false): commands go through one tmux
   * control-mode client per server instead of a tmux process each (see
   * `Server.connect`). Close the context when done.
   */
  persistent?: boolean;
  /**
   * Act only where this policy allows (see `AccessPolicy`); default: no
   * policy, act where told.
   */
  access?: AccessOptions;
}

/** Where a target led: the server, the tmux target, and the registry entry it came from. */
export interface Located {
  /** The server. */
  server: Server;
  /** The tmux target on it. */
  target: string;
  /** The registry name, when the target came from the registry. */
  name?: string;
  /** The registry entry, when the target came from the registry. */
  entry?: UsableEntry;
}

/** Options of {@link Context.locate}. */
export interface LocateOptions {
  /**
   * Update a registered session's `last_active` (default false). The update
   * is bookkeeping: when it can't be written, the look-up still succeeds.
   */
  touch?: boolean;
  /** What the caller will do there, for the context's access policy (default `read`). */
  action?: Action;
  /** Aborts the policy's check. */
  signal?: AbortSignal;
}

/** The environment, paths, registry and servers of one caller. */
export class Context {
  /** The environment the paths came from. */
  readonly env: Env;
  /** The toolkit's paths. */
  readonly paths: Paths;
  /** The session registry. */
  readonly registry: Registry;
  /** The tmux executable (`undefined`: `tmux` on PATH). */
  readonly program?: string;
  /** Whether its servers are connected (see {@link ContextOptions.persistent}). */
  readonly persistent: boolean;
  /** Where operations may act; `undefined`: anywhere. */
  readonly policy?: AccessPolicy;
  readonly #servers = new Map<string, Server>();

  /** A context from `options`, else from the process environment. */
  constructor(options: ContextOptions = {}) {
    this.env = options.env ?? processEnv();
    this.registry = options.registry ??
      new Registry({ env: this.env, cache: options.persistent ?? false });
    // The registry resolved the paths from the same environment (or was given its own).
    this.paths = this.registry.paths;
    this.program = options.program;
    this.persistent = options.persistent ?? false;
    if (options.access) {
      this.policy = new AccessPolicy(this.paths.socketDir, this.registry, options.access);
    }
  }

  /** Detaches the control clients of every connected server (see `Server.close`). */
  async close(): Promise<void> {
    await Promise.all([...this.#servers.values()].map((server) => server.close()));
  }

  /** Same as {@link Context.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** The server on `socket` (tmux's default socket when empty); one object per socket. */
  server(socket: Socket = {}): Server {
    const key = socket.path !== undefined
      ? `S:${socket.path}`
      : socket.name !== undefined
      ? `L:${socket.name}`
      : "default";
    let server = this.#servers.get(key);
    if (!server) {
      server = new Server(socket, { program: this.program, persistent: this.persistent });
      this.#servers.set(key, server);
    }
    return server;
  }

  /** The toolkit's default server: `<socket folder>/claude.sock`. */
  get defaultServer(): Server {
    return this.server({ path: this.paths.defaultSocket });
  }

  /**
   * Where a target spec leads. `target` with `socket` or `socketName` is
   * used as given; else `session` is looked up in the registry; else
   * `target` alone means tmux's default socket; with none of them, the
   * registry's only session.
   *
   * @throws {SessionNotFoundError} the name is not registered.
   * @throws {NoSessionsError} nothing given and the registry is empty.
   * @throws {AmbiguousSessionError} nothing given and the registry has several sessions.
   * @throws {RegistryInvalidError} the registry is needed and can't be used.
   * @throws {AccessDeniedError} the context's policy does not allow `action` there.
   */
  async locate(spec: TargetSpec, options: LocateOptions = {}): Promise<Located> {
    const resolved = await resolveTarget(spec, this.registry, { touch: options.touch ?? false });
    const server = this.server(resolved.socket);
    await this.policy?.check(server, resolved.target, options.action ?? "read", {
      registered: resolved.entry !== undefined,
      signal: options.signal,
    });
    return { server, target: resolved.target, name: resolved.name, entry: resolved.entry };
  }

  /**
   * The pane a target spec leads to (matched exactly).
   *
   * @throws {PaneNotFoundError} the session or pane does not exist.
   * @throws {ServerNotRunningError} no server runs on the socket.
   */
  async pane(
    spec: TargetSpec,
    options: LocateOptions & CallOptions = {},
  ): Promise<{ pane: Pane; located: Located }> {
    const located = await this.locate(spec, options);
    return { pane: await located.server.pane(located.target, options), located };
  }

  /**
   * Whether a pane found by `located` belongs to a registered session: looked
   * up by name, or an entry names its server's socket and its session. Such a
   * pane may keep an output log (kill-session and cleanup-sessions remove it
   * with the session); the registry is read only when this is asked.
   */
  registered(located: Located): (pane: Pane) => Promise<boolean> {
    return async (pane) =>
      located.entry !== undefined || await this.registry.holds(pane.server.socket, pane.session);
  }
}
