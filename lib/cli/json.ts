/**
 * The drop-in tools' JSON shapes: snake_case keys in the documented order
 * (docs/compat.md). The core's results are camelCase; only the CLI prints
 * these.
 *
 * @module
 */
import type { PaneHealth } from "../health.ts";
import type { SessionSummary } from "../sessions.ts";

/** pane-health's JSON, in its documented key order. */
export interface HealthJson {
  status: PaneHealth["status"];
  server_running: boolean;
  session_exists: boolean;
  pane_exists: boolean;
  pane_dead: boolean;
  pid: number | null;
  process_running: boolean;
}

/** pane-health's JSON for a health verdict. */
export function healthJson(health: PaneHealth): HealthJson {
  return {
    status: health.status,
    server_running: health.serverRunning,
    session_exists: health.sessionExists,
    pane_exists: health.paneExists,
    pane_dead: health.paneDead,
    pid: health.pid,
    process_running: health.processRunning,
  };
}

/** One session of list-sessions --json, in its documented key order. */
export interface SessionJson {
  name: string;
  socket: string | null;
  socket_basename: string | null;
  target: string | null;
  type: string | null;
  status: SessionSummary["status"];
  pid: number | null;
  created_at: string | null;
  last_active: string | null;
  program: string | null;
  activity: SessionSummary["activity"];
}

/** list-sessions' JSON for one session. */
export function sessionJson(summary: SessionSummary): SessionJson {
  return {
    name: summary.name,
    socket: summary.socket,
    socket_basename: summary.socketBasename,
    target: summary.target,
    type: summary.type,
    status: summary.status,
    pid: summary.pid,
    created_at: summary.createdAt,
    last_active: summary.lastActive,
    program: summary.program,
    activity: summary.activity,
  };
}
