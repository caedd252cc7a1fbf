/**
 * What to capture of a pane: `capture-pane` arguments for the options
 * people ask for (visible screen, N lines of history, the whole history,
 * wrapped lines joined, escapes kept) and how its output becomes lines
 * (trailing blank lines trimmed, the last N kept). `Pane.capture` and
 * `Pane.snapshot` run it.
 *
 * @module
 */

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
