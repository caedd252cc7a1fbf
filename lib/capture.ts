/**
 * Pane text and position: `capture-pane` with the options people ask for
 * (visible screen, N lines of history, the whole history, wrapped lines
 * joined, escapes kept, trailing blank lines trimmed), and snapshots that
 * read the text and the pane's state (dead, history size, cursor, session)
 * in one tmux call, so the two always agree.
 *
 * @module
 */
import { formatTemplate, type Socket, tmux, type TmuxCallOptions } from "./tmux.ts";

/** What to capture. Rows are tmux's: 0 is the top of the screen, negative rows are history. */
export interface CaptureOptions {
  /**
   * Lines of history above the screen to include (`-S -N`), or `"all"` for
   * the whole history (`-S -`). Default 0: the visible screen only.
   */
  history?: number | "all";
  /** First row (`-S`); overrides `history`. */
  start?: number;
  /** Last row (`-E`); default the bottom of the screen. */
  end?: number;
  /** Join wrapped lines (`-J`, which also keeps trailing spaces). */
  join?: boolean;
  /** Keep colour and attribute escapes (`-e`). */
  escapes?: boolean;
  /** Drop empty lines at the end (what `$(...)` in the bash tools did). */
  trimTrailingBlank?: boolean;
  /** Keep only the last N lines (after trimming). */
  last?: number;
}

/** The `capture-pane` arguments (without the socket) for `pane` and `options`. */
export function captureArgs(pane: string, options: CaptureOptions = {}): string[] {
  const args = ["capture-pane", "-p", "-t", pane];
  if (options.join) args.push("-J");
  if (options.escapes) args.push("-e");
  if (options.start !== undefined) {
    args.push("-S", String(options.start));
  } else if (options.history === "all") {
    args.push("-S", "-");
  } else if (options.history) {
    args.push("-S", String(-Math.floor(options.history)));
  }
  if (options.end !== undefined) args.push("-E", String(options.end));
  return args;
}

/** Splits `capture-pane -p` output into lines and applies `trimTrailingBlank` and `last`. */
export function captureLines(stdout: string, options: CaptureOptions = {}): string[] {
  const lines = stdout.split("\n");
  // Every captured line ends with a newline, so the last piece is empty.
  if (lines.at(-1) === "") lines.pop();
  if (options.trimTrailingBlank) {
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  }
  if (options.last !== undefined) return lines.slice(Math.max(0, lines.length - options.last));
  return lines;
}

/**
 * Captures a pane's text as lines.
 *
 * @example
 * ```ts ignore
 * const lines = await capturePane({ path: sock }, "%3", { history: 1000, join: true });
 * ```
 * @throws {ServerNotRunningError} no server on the socket.
 * @throws {TmuxCommandError} the pane does not exist.
 */
export async function capturePane(
  socket: Socket | undefined,
  pane: string,
  options: CaptureOptions = {},
  call: TmuxCallOptions = {},
): Promise<string[]> {
  return captureLines(await tmux(captureArgs(pane, options), { ...call, socket }), options);
}

/** A pane's state at one moment. */
export interface PaneState {
  /** tmux marks the pane dead (its process exited under remain-on-exit). */
  dead: boolean;
  /** Lines of history above the screen. */
  historySize: number;
  /** The cursor's screen row. */
  cursorY: number;
  /** The name of the pane's session. */
  session: string;
}

const STATE_FIELDS = ["pane_dead", "history_size", "cursor_y", "session_name"] as const;

function stateArgs(pane: string): string[] {
  return ["display-message", "-p", "-t", pane, formatTemplate(STATE_FIELDS)];
}

function parseState(line: string): PaneState {
  const [dead, history, cursor, ...session] = line.split("\x1f");
  return {
    dead: dead === "1",
    historySize: Number(history) || 0,
    cursorY: Number(cursor) || 0,
    session: session.join("\x1f"),
  };
}

/**
 * Reads a pane's state: one `display-message` call.
 *
 * @throws {TmuxCommandError} the pane does not exist.
 */
export async function readPaneState(
  socket: Socket | undefined,
  pane: string,
  call: TmuxCallOptions = {},
): Promise<PaneState> {
  return parseState((await tmux(stateArgs(pane), { ...call, socket })).replace(/\n$/, ""));
}

/** Text and state of a pane, read together. */
export interface PaneSnapshot {
  /** The captured lines. */
  lines: string[];
  /** The state right after the capture (no output can arrive in between). */
  state: PaneState;
}

/**
 * Captures a pane and reads its state in one tmux call
 * (`capture-pane ... ; display-message ...`): tmux runs both before it reads
 * more output from the pane, so the state describes exactly the captured text.
 *
 * @throws {TmuxCommandError} the pane does not exist.
 * @throws {ServerNotRunningError} no server on the socket.
 */
export async function snapshotPane(
  socket: Socket | undefined,
  pane: string,
  options: CaptureOptions = {},
  call: TmuxCallOptions = {},
): Promise<PaneSnapshot> {
  const stdout = await tmux([...captureArgs(pane, options), ";", ...stateArgs(pane)], {
    ...call,
    socket,
  });
  const text = stdout.replace(/\n$/, "");
  const cut = text.lastIndexOf("\n");
  return {
    lines: captureLines(cut === -1 ? "" : text.slice(0, cut + 1), options),
    state: parseState(text.slice(cut + 1)),
  };
}
