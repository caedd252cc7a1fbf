/**
 * Read cursors: a position in a pane's output that a caller gets back from
 * one call and passes to the next, to read only what came after it. A
 * cursor is an offset in the pane's persistent output log (`log.ts`), not
 * a row of the pane's history, so it survives history trimming; when the
 * log no longer holds the cursor's bytes, the read says how many lines were
 * lost. A cursor names its server (pid), its pane, its log and the line
 * count before it:
 *
 *     ctmux1:SERVER_PID:%PANE:LOG_ID:OFFSET:LINES
 *
 * @module
 */
import { TmuxToolError, UsageError } from "./errors.ts";
import { countLines, PaneLog } from "./log.ts";
import type { Pane } from "./pane.ts";
import type { Server } from "./server.ts";
import { TerminalLines } from "./render.ts";

/** A pane whose output can't be logged: it is piped elsewhere, or the log's folder can't be made. */
export class LogUnavailableError extends TmuxToolError {
  /** The error's name. */
  override name = "LogUnavailableError";
  /**
   * Creates the error.
   * @param pane The pane id.
   */
  constructor(readonly pane: string) {
    super(
      `Cannot read the output of pane ${pane} after a cursor: its output is piped elsewhere ` +
        "(pipe-pane), or its log folder can't be made",
    );
  }
}

/** A parsed cursor. */
export interface Cursor {
  /** The tmux server's pid. */
  serverPid: number;
  /** The pane id (`%N`). */
  paneId: string;
  /** The id of the pane's log. */
  logId: string;
  /** Bytes of the pane's output before the cursor. */
  offset: number;
  /** Line breaks in the pane's output before the cursor. */
  line: number;
}

const CURSOR = /^ctmux1:(\d+):(%\d+):([0-9a-f]{8}):(\d+):(\d+)$/;

/** A cursor as the text callers pass around. */
export function formatCursor(cursor: Cursor): string {
  return `ctmux1:${cursor.serverPid}:${cursor.paneId}:${cursor.logId}:${cursor.offset}:${cursor.line}`;
}

/**
 * Parses cursor text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCursor } from "./cursor.ts";
 * assert.equal(parseCursor("ctmux1:4242:%3:0a1b2c3d:120:4").offset, 120);
 * ```
 * @throws {UsageError} text that is not a cursor.
 */
export function parseCursor(text: string): Cursor {
  const match = CURSOR.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `Invalid cursor: ${
        JSON.stringify(text)
      } (a cursor is the "cursor" value a --json call printed)`,
    );
  }
  return {
    serverPid: Number(match[1]),
    paneId: match[2],
    logId: match[3],
    offset: Number(match[4]),
    line: Number(match[5]),
  };
}

/** The cursor at `offset` of `log`. */
export function cursorAt(log: PaneLog, offset: number, line = log.linesBefore(offset)): string {
  return formatCursor({
    serverPid: log.pane.info.serverPid,
    paneId: log.pane.id,
    logId: log.id,
    offset,
    line,
  });
}

/**
 * A cursor at the end of the pane's output now (its log is started if it
 * has none), or `null` when the pane can't be logged (its output is piped
 * elsewhere, or the log's folder can't be made).
 */
export async function cursorNow(pane: Pane, socketDir: string): Promise<string | null> {
  return cursorAtEnd(await PaneLog.open(pane, socketDir));
}

/**
 * The output log of the pane `target` points at, started if it has none;
 * `null` when there is no such pane or it can't be logged (whoever acts on
 * the pane next reports a missing one).
 */
export async function openLog(
  server: Server,
  target: string,
  socketDir: string,
): Promise<PaneLog | null> {
  const pane = await server.pane(target).catch(() => null);
  return pane && await PaneLog.open(pane, socketDir);
}

/** A cursor at the end of `log` now (`null` without a log). */
export function cursorAtEnd(log: PaneLog | null): string | null {
  return log && cursorAt(log, log.end(true));
}

/** What {@link readSince} read. */
export interface SinceRead {
  /** The lines after the cursor, rendered as a terminal shows them (escapes dropped). */
  lines: string[];
  /** A cursor at the end of what was read: pass it to the next read. */
  cursor: string;
  /**
   * How many lines after the cursor the log no longer holds (0: none); `null`
   * when the pane's log was restarted since the cursor (its pipe was closed
   * meanwhile), so what was lost can't be counted.
   */
  linesLost: number | null;
}

/**
 * The pane's output after `cursor`, up to now, as lines.
 *
 * @throws {UsageError} text that is not a cursor, or a cursor of another pane or server.
 * @throws {LogUnavailableError} the pane can't be logged.
 */
export async function readSince(pane: Pane, socketDir: string, text: string): Promise<SinceRead> {
  const cursor = parseCursor(text);
  if (cursor.serverPid !== pane.info.serverPid || cursor.paneId !== pane.id) {
    throw new UsageError(
      `Cursor is from pane ${cursor.paneId} of the tmux server with pid ${cursor.serverPid}, ` +
        `not from pane ${pane.id} (server pid ${pane.info.serverPid})`,
    );
  }
  const log = await PaneLog.open(pane, socketDir);
  if (log === null) throw new LogUnavailableError(pane.id);
  const end = log.end(true);
  const sameLog = log.id === cursor.logId;
  const { bytes, from, to } = log.read(sameLog ? cursor.offset : 0, end);
  const lost = sameLog && from > cursor.offset ? log.linesBefore(from) - cursor.line : 0;
  const stream = new TerminalLines();
  stream.write(bytes);
  const line = (sameLog && from === cursor.offset ? cursor.line : log.linesBefore(from)) +
    countLines(bytes);
  return {
    lines: stream.all(),
    cursor: cursorAt(log, to, line),
    linesLost: sameLog ? lost : null,
  };
}
