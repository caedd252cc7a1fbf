/**
 * Pane health: server up, session there, pane there, pane not dead, and its
 * process really running (not gone, not defunct, not a reused pid).
 *
 * @module
 */
import { findPane, type PaneInfo } from "./panes.ts";

/** Health verdicts. */
export type HealthStatus = "healthy" | "dead" | "missing" | "zombie" | "server_not_running";

/** A pane's health: the verdict and what it was decided from. */
export interface PaneHealth {
  /** The verdict. */
  status: HealthStatus;
  /** Whether a server answers on the socket. */
  serverRunning: boolean;
  /** Whether the target's session exists. */
  sessionExists: boolean;
  /** Whether the target pane exists. */
  paneExists: boolean;
  /** Whether tmux marks the pane dead. */
  paneDead: boolean;
  /** The pane's process id (null when dead or unknown). */
  pid: number | null;
  /** Whether that process is really running. */
  processRunning: boolean;
}

/** Health of `target` given the server's pane list (`null`: server not running). */
export function healthFromPanes(panes: readonly PaneInfo[] | null, target: string): PaneHealth {
  const result: PaneHealth = {
    status: "server_not_running",
    serverRunning: panes !== null,
    sessionExists: false,
    paneExists: false,
    paneDead: false,
    pid: null,
    processRunning: false,
  };
  if (panes === null) return result;
  const { sessionExists, pane } = findPane(panes, target);
  result.sessionExists = sessionExists;
  result.status = "missing";
  if (!pane) return result;
  result.paneExists = true;
  if (pane.paneDead) {
    result.paneDead = true;
    result.status = "dead";
    return result;
  }
  result.pid = pane.panePid;
  result.processRunning = pane.panePid !== null && processRunning(pane.panePid, pane.serverPid);
  result.status = result.processRunning ? "healthy" : "zombie";
  return result;
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
