/**
 * What a long-lived face (the MCP server) lets its callers act on: tmux
 * servers whose socket is in the toolkit's socket folder or named by the
 * registry (unless widened to any socket), and never the pane it runs in:
 * it sends no keys to it, runs nothing in it and kills neither its session
 * nor, so, its own tmux server's last session. The command-line tools and
 * the library have no policy: they act where they are told.
 *
 * @module
 */
import { AccessDeniedError } from "./errors.ts";
import { resolve } from "./path.ts";
import { findPane } from "./panes.ts";
import { entryOnSocket, type Registry } from "./registry.ts";
import type { Server } from "./server.ts";
import { type Socket, socketLabel } from "./tmux.ts";

/** What an operation does to the pane it acts on. */
export type Action = "read" | "write" | "kill";

/** The pane a process runs in, from the `TMUX` and `TMUX_PANE` variables tmux sets. */
export interface OwnPane {
  /** The pid of the tmux server (the second field of `TMUX`). */
  serverPid: number;
  /** The pane id, `%N` (`TMUX_PANE`). */
  pane: string;
}

/** Options of an {@link AccessPolicy}. */
export interface AccessOptions {
  /** Act on any socket (default: only the socket folder's and the registry's). */
  anySocket?: boolean;
  /** The pane this process runs in, which it never sends to, runs in or kills. */
  self?: OwnPane;
}

/**
 * The pane `TMUX` and `TMUX_PANE` name (`TMUX` is `SOCKET,SERVER_PID,SESSION`),
 * or `undefined` outside tmux.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownPane } from "./policy.ts";
 * assert.deepEqual(ownPane("/tmp/tmux-0/default,4242,3", "%7"), { serverPid: 4242, pane: "%7" });
 * assert.equal(ownPane(undefined, undefined), undefined);
 * ```
 */
export function ownPane(tmux: string | undefined, pane: string | undefined): OwnPane | undefined {
  const pid = Number(tmux?.split(",").at(-2));
  if (!Number.isInteger(pid) || pid <= 0 || !pane || !/^%\d+$/.test(pane)) return undefined;
  return { serverPid: pid, pane };
}

/** Where a face may act; see the module doc. */
export class AccessPolicy {
  readonly #socketDir: string;
  readonly #registry: Registry;
  readonly #options: AccessOptions;

  /**
   * A policy for the toolkit's socket folder and registry.
   *
   * @param socketDir The socket folder.
   * @param registry The registry whose sockets are allowed too (read at each check).
   * @param options Widening and the own pane.
   */
  constructor(socketDir: string, registry: Registry, options: AccessOptions = {}) {
    this.#socketDir = resolve(socketDir);
    this.#registry = registry;
    this.#options = options;
  }

  /**
   * Refuses a socket outside the socket folder that the registry does not
   * name (tmux's default socket and `-L` names included), unless any socket
   * is allowed.
   *
   * @throws {AccessDeniedError} the socket is not allowed.
   */
  async checkSocket(socket: Socket): Promise<void> {
    if (this.#options.anySocket) return;
    if (socket.path !== undefined) {
      const path = resolve(socket.path);
      if (path.startsWith(`${this.#socketDir}/`)) return;
      const { sessions } = await this.#registry.read();
      if (Object.values(sessions).some((entry) => entryOnSocket(entry, path))) return;
    }
    const label = socketLabel(socket) ?? "tmux's default socket";
    throw new AccessDeniedError(
      `Socket not allowed: ${label} (only sockets in ${this.#socketDir} and those the registry ` +
        "names; start the server with --any-socket to allow others)",
    );
  }

  /**
   * Checks an operation on `target` of `server`: its socket (unless the
   * target came from the registry) and, for `write` and `kill`, that it is
   * not this process's own pane (or, to kill, its session).
   *
   * @throws {AccessDeniedError} the operation is not allowed.
   */
  async check(
    server: Server,
    target: string,
    action: Action,
    options: { registered?: boolean; signal?: AbortSignal } = {},
  ): Promise<void> {
    if (!options.registered) await this.checkSocket(server.socket);
    const self = this.#options.self;
    if (action === "read" || !self) return;
    const panes = await server.panes({ signal: options.signal });
    // Another server, or none: not ours.
    if (!panes?.length || panes[0].serverPid !== self.serverPid) return;
    const own = panes.find((pane) => pane.paneId === self.pane);
    const hit = findPane(panes, target).pane;
    if (!own || !hit) return;
    if (action === "kill" && hit.session === own.session) {
      throw new AccessDeniedError(
        `Refusing to kill session '${own.session}': the server runs in it (pane ${self.pane})`,
      );
    }
    if (action === "write" && hit.paneId === own.paneId) {
      throw new AccessDeniedError(`Refusing to send to pane ${self.pane}: the server runs in it`);
    }
  }
}
