/**
 * Pane health: server up, session there, pane there, pane not dead, and its
 * process really running (not gone, not defunct, not a reused pid).
 *
 * @module
 */
import { findPane, listPanesOrNull, type PaneInfo } from "./panes.ts";
import type { Socket, TmuxCallOptions } from "./tmux.ts";

/** Health verdicts, as pane-health reports them. */
export type HealthStatus = "healthy" | "dead" | "missing" | "zombie" | "server_not_running";

/** pane-health's JSON result, in its documented key order. */
export interface PaneHealth {
  /** The verdict. */
  status: HealthStatus;
  /** Whether a server answers on the socket. */
  server_running: boolean;
  /** Whether the target's session exists. */
  session_exists: boolean;
  /** Whether the target pane exists. */
  pane_exists: boolean;
  /** Whether tmux marks the pane dead. */
  pane_dead: boolean;
  /** The pane's process id (null when dead or unknown). */
  pid: number | null;
  /** Whether that process is really running. */
  process_running: boolean;
}

/** pane-health's exit code per verdict. */
export const HEALTH_EXIT_CODES: Record<HealthStatus, number> = {
  healthy: 0,
  dead: 1,
  missing: 2,
  zombie: 3,
  server_not_running: 4,
};

/** Health of `target` given the server's pane list (`null`: server not running). */
export function healthFromPanes(panes: readonly PaneInfo[] | null, target: string): PaneHealth {
  const result: PaneHealth = {
    status: "server_not_running",
    server_running: panes !== null,
    session_exists: false,
    pane_exists: false,
    pane_dead: false,
    pid: null,
    process_running: false,
  };
  if (panes === null) return result;
  const { sessionExists, pane } = findPane(panes, target);
  result.session_exists = sessionExists;
  result.status = "missing";
  if (!pane) return result;
  result.pane_exists = true;
  if (pane.paneDead) {
    result.pane_dead = true;
    result.status = "dead";
    return result;
  }
  result.pid = pane.panePid;
  result.process_running = pane.panePid !== null && processRunning(pane.panePid, pane.serverPid);
  result.status = result.process_running ? "healthy" : "zombie";
  return result;
}

/** Health of one pane: one tmux call. */
export async function paneHealth(
  socket: Socket | undefined,
  target: string,
  options: TmuxCallOptions = {},
): Promise<PaneHealth> {
  return healthFromPanes(await listPanesOrNull(socket, options), target);
}

/**
 * Set when this process was refused `/proc` (Deno 2.9 grants none of it
 * without `--allow-all`): decided once, so a list of many panes does not pay
 * a refused read (a thrown error) per pane.
 */
let procRefused = false;

/**
 * Whether `pid` is a live (not defunct) child of the tmux server `serverPid`,
 * read from `/proc`. Where `/proc` can't be read (no `/proc`, or Deno without
 * `--allow-all`, which 2.9 requires for any of it), tmux's word is trusted.
 */
export function processRunning(pid: number, serverPid: number): boolean {
  if (procRefused) return true;
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    if (error instanceof Deno.errors.NotCapable) procRefused = true;
    return true;
  }
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const ppid = Number(fields[1]);
  if (state === "Z" || state === "X") return false;
  return !(serverPid > 0 && ppid !== serverPid);
}

/** A pane's health together with the pane itself (when it exists). */
export interface PaneInspection {
  /** The health verdict, as {@link paneHealth} gives it. */
  health: PaneHealth;
  /** The pane, matched exactly; absent when it or its server is missing. */
  pane?: PaneInfo;
}

/** Health of one pane and its pane record (for its `%id` and session): one tmux call. */
export async function inspectPane(
  socket: Socket | undefined,
  target: string,
  options: TmuxCallOptions = {},
): Promise<PaneInspection> {
  const panes = await listPanesOrNull(socket, options);
  return {
    health: healthFromPanes(panes, target),
    pane: panes ? findPane(panes, target).pane : undefined,
  };
}
