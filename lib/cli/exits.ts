/**
 * Exit-code tables of the drop-in contract that more than one tool shares
 * (docs/compat.md).
 *
 * @module
 */
import type { HealthStatus } from "../health.ts";

/** pane-health's exit code per verdict (safe-send reports it when a pane is not ready). */
export const HEALTH_EXIT_CODES: Record<HealthStatus, number> = {
  healthy: 0,
  dead: 1,
  missing: 2,
  zombie: 3,
  server_not_running: 4,
};

/** safe-send and wait-for-text: the --fail pattern matched first. */
export const FAILED_EXIT = 5;
