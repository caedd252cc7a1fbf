/**
 * Runs that did not end (timed out, or waiting for input) stay collectable:
 * their tap is left open, so the pane's output keeps going into the run's
 * file, and a small state file says how to read it. Both live in the
 * session's private output folder (`<socketDir>/.ctmux/output/<session>/runs/`,
 * 0700 folders, 0600 files), which kill-session and cleanup-sessions remove
 * with the session; the pane's user option `@ctmux-run` names the run, so a
 * later run finds it. `run --resume ID` reads the file from its start again,
 * waits for the end, returns what it had not returned yet, and then closes
 * the tap and removes both files.
 *
 * @module
 */
import { join } from "../path.ts";
import { ensureSessionOutputDir, type OutputOwner, sessionOutputDir } from "../output.ts";
import type { Pane } from "../pane.ts";
import { ensurePrivateDir } from "../safety.ts";
import { PENDING_OPTION } from "./detect.ts";
import type { PlanSpec, Progress } from "./plan.ts";

/** A run left pending, as stored. */
export interface PendingRun {
  /** The run's id. */
  runId: string;
  /** The pane it runs in (`%N`) and that pane's server's pid (ids are per server). */
  paneId: string;
  /** The server's pid. */
  serverPid: number;
  /** How to read it. */
  spec: PlanSpec;
  /** The steps sent so far. */
  progress: Progress;
  /** Output lines (complete ones) already returned. */
  returned: number;
  /** The tap's file. */
  tapFile: string;
  /** The pipe still copies the pane's output into `tapFile`. */
  pipeOpen: boolean;
  /**
   * Set when the run read the pane's persistent output log (then `tapFile`
   * is the log's folder): where the run's output began in it. The log is the
   * pane's, not the run's: it is neither closed nor removed with the run.
   */
  logOffset?: number;
  /** The pane's terminal. */
  tty: string;
}

/** Run ids are 16 hex digits (so an id never names a path). */
export const RUN_ID = /^[0-9a-f]{16}$/;

/** The folder of a session's pending runs. */
export function runsDir(socketDir: string, owner: OutputOwner): string {
  return join(sessionOutputDir(socketDir, owner), "runs");
}

/** Makes the runs folder of a session (private, each level). */
export function ensureRunsDir(socketDir: string, owner: OutputOwner): string {
  ensureSessionOutputDir(socketDir, owner);
  const dir = runsDir(socketDir, owner);
  ensurePrivateDir(dir, "runs folder");
  return dir;
}

/** Writes a pending run's state (a temp file, then a rename). */
export async function savePending(dir: string, run: PendingRun): Promise<void> {
  const file = join(dir, `${run.runId}.json`);
  const tmp = `${file}.${crypto.randomUUID()}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(run), { createNew: true, mode: 0o600 });
  await Deno.rename(tmp, file);
}

/** A pending run of a session by id; `undefined` when there is none (or it can't be read). */
export async function loadPending(
  socketDir: string,
  owner: OutputOwner,
  runId: string,
): Promise<PendingRun | undefined> {
  if (!RUN_ID.test(runId)) return undefined;
  try {
    const data: unknown = JSON.parse(
      await Deno.readTextFile(join(runsDir(socketDir, owner), `${runId}.json`)),
    );
    return isPendingRun(data) && data.runId === runId ? data : undefined;
  } catch {
    return undefined;
  }
}

function isPendingRun(data: unknown): data is PendingRun {
  if (typeof data !== "object" || data === null) return false;
  const run = data as Record<string, unknown>;
  return typeof run.runId === "string" && typeof run.paneId === "string" &&
    typeof run.serverPid === "number" && typeof run.spec === "object" && run.spec !== null &&
    typeof run.progress === "object" && run.progress !== null &&
    typeof run.returned === "number" && typeof run.tapFile === "string" &&
    typeof run.pipeOpen === "boolean" && typeof run.tty === "string";
}

/** Removes a pending run's files. */
export async function removePending(socketDir: string, owner: OutputOwner, run: PendingRun) {
  if (run.logOffset === undefined) await Deno.remove(run.tapFile).catch(() => {});
  await Deno.remove(join(runsDir(socketDir, owner), `${run.runId}.json`)).catch(() => {});
}

/** Marks the pane as feeding `runId`'s tap (the pipe stays open). */
export async function markPane(pane: Pane, runId: string): Promise<void> {
  await pane.server.run(["set-option", "-p", "-t", pane.id, PENDING_OPTION, runId]);
}

/**
 * Forgets the pane's pending run and closes the pane's pipe (ours: the pane
 * names a run of ours), unless the run read the pane's persistent log
 * (`closePipe` false), whose pipe stays.
 */
export async function releasePane(pane: Pane, closePipe = true): Promise<void> {
  await pane.server.run([
    ...(closePipe ? ["pipe-pane", "-t", pane.id, ";"] : []),
    "set-option",
    "-p",
    "-u",
    "-t",
    pane.id,
    PENDING_OPTION,
  ]).catch(() => {});
  // The pane object says what tmux now would (a kept pipe is the pane's log's, still open).
  if (closePipe) pane.info.panePipe = false;
}
