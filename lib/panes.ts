/**
 * Pane records: parsing a server's `list-panes -a -F` output, and exact
 * matching of a target (`session`, `session:window`,
 * `session:window.pane`, `%id`) against that list.
 *
 * @module
 */
import { formatTemplate, parseRows } from "./quote.ts";

/** One pane as tmux reports it. */
export interface PaneInfo {
  /** Session name. */
  session: string;
  /** Window index. */
  windowIndex: number;
  /** Window name. */
  windowName: string;
  /** Whether this is its session's current window. */
  windowActive: boolean;
  /** Pane index. */
  paneIndex: number;
  /** Whether this is its window's current pane. */
  paneActive: boolean;
  /** Pane id, `%N`: a target that never matches by prefix. */
  paneId: string;
  /** Whether tmux marks the pane dead (remain-on-exit). */
  paneDead: boolean;
  /** The pane's process id, if any. */
  panePid: number | null;
  /** The tmux server's process id (parent of every pane process). */
  serverPid: number;
  /** Whether the pane's output is being piped (`pipe-pane`). */
  panePipe: boolean;
}

/** The `-F` fields of {@link PaneInfo}, in the order {@link parsePanes} reads them. */
export const PANE_FIELDS = [
  "session_name",
  "window_index",
  "window_name",
  "window_active",
  "pane_index",
  "pane_active",
  "pane_id",
  "pane_dead",
  "pane_pid",
  "pid",
  "pane_pipe",
] as const;

/** The `-F` template of every pane listing (the bench's tmux floor asks for the same fields). */
export const PANE_FORMAT: string = formatTemplate(PANE_FIELDS);

/** Parses `list-panes -F` output made with this module's template. */
export function parsePanes(stdout: string): PaneInfo[] {
  return parseRows(stdout).filter((row) => row.length === PANE_FIELDS.length).map((row) => ({
    session: row[0],
    windowIndex: Number(row[1]),
    windowName: row[2],
    windowActive: row[3] === "1",
    paneIndex: Number(row[4]),
    paneActive: row[5] === "1",
    paneId: row[6],
    paneDead: row[7] === "1",
    panePid: /^\d+$/.test(row[8]) && row[8] !== "0" ? Number(row[8]) : null,
    serverPid: Number(row[9]),
    panePipe: row[10] === "1",
  }));
}

/** Where a target points in a pane list. */
export interface PaneMatch {
  /** Whether the target's session exists. */
  sessionExists: boolean;
  /** The pane, when it exists. */
  pane?: PaneInfo;
}

/** The session part of a target: before the first `:` (a leading `=` dropped). */
export function targetSession(target: string): string {
  const bare = target.startsWith("=") ? target.slice(1) : target;
  const colon = bare.indexOf(":");
  return colon === -1 ? bare : bare.slice(0, colon);
}

/**
 * Finds a target's pane by exact names and indices: `foo` never matches `foobar`.
 * `session` alone and `session:window` mean the current window and pane.
 */
export function findPane(panes: readonly PaneInfo[], target: string): PaneMatch {
  if (/^%\d+$/.test(target)) {
    const pane = panes.find((p) => p.paneId === target);
    return { sessionExists: pane !== undefined, pane };
  }
  const session = targetSession(target);
  const inSession = panes.filter((p) => p.session === session);
  if (inSession.length === 0) return { sessionExists: false };
  const bare = target.startsWith("=") ? target.slice(1) : target;
  const rest = bare.includes(":") ? bare.slice(bare.indexOf(":") + 1) : "";
  let windowPart = rest;
  let panePart = "";
  const dot = rest.lastIndexOf(".");
  if (dot !== -1 && /^(\d+|%\d+)$/.test(rest.slice(dot + 1))) {
    windowPart = rest.slice(0, dot);
    panePart = rest.slice(dot + 1);
  }
  const inWindow = windowPart === ""
    ? inSession.filter((p) => p.windowActive)
    : /^\d+$/.test(windowPart)
    ? inSession.filter((p) => p.windowIndex === Number(windowPart))
    : inSession.filter((p) => p.windowName === windowPart);
  const pane = panePart === ""
    ? inWindow.find((p) => p.paneActive) ?? inWindow[0]
    : panePart.startsWith("%")
    ? inWindow.find((p) => p.paneId === panePart)
    : inWindow.find((p) => p.paneIndex === Number(panePart));
  return { sessionExists: true, pane };
}

/** A server's panes by session name and by pane id, for looking up many targets. */
export interface PaneIndex {
  /** Each session's panes, in listing order. */
  bySession: ReadonlyMap<string, readonly PaneInfo[]>;
  /** Each pane by its `%id`. */
  byId: ReadonlyMap<string, PaneInfo>;
}

/** Indexes a pane list once, so each target's look-up is not a scan of every pane. */
export function indexPanes(panes: readonly PaneInfo[]): PaneIndex {
  const bySession = new Map<string, PaneInfo[]>();
  const byId = new Map<string, PaneInfo>();
  for (const pane of panes) {
    const list = bySession.get(pane.session);
    if (list) list.push(pane);
    else bySession.set(pane.session, [pane]);
    if (!byId.has(pane.paneId)) byId.set(pane.paneId, pane);
  }
  return { bySession, byId };
}

/**
 * The only panes of `index` that `target` can match: {@link findPane} over
 * them gives the same answer as over the whole list.
 */
export function panesOfTarget(index: PaneIndex, target: string): readonly PaneInfo[] {
  if (/^%\d+$/.test(target)) {
    const pane = index.byId.get(target);
    return pane ? [pane] : [];
  }
  return index.bySession.get(targetSession(target)) ?? [];
}
