/**
 * Output after a send: the anchor (where the cursor was when the text was
 * sent, in absolute history rows) and how the output rows below it are told
 * apart from the echo of the typed text.
 *
 * @module
 */
import type { CaptureOptions } from "./capture.ts";
import type { Anchor, PaneSnapshot } from "./pane.ts";

/** An anchored wait: only output below the anchor row counts. */
export interface AfterSend {
  /** The pane position taken just before the send. */
  anchor: Anchor;
  /** The text that was sent: the echo of its lines is not output. */
  sent?: string;
}

/**
 * The output lines after a send, from a joined capture that starts at the
 * anchor row: the first logical line (the prompt row with the echo of the
 * typed text, however it wrapped) is dropped; when the sent text had several
 * lines (a pasted block), so are lines that end with one of its further
 * lines (their echo, which a REPL may show twice: the terminal's echo of
 * typed-ahead text, then the prompt's); then trailing empty lines. When the
 * echo filled its last row exactly, the terminal continues that row with the
 * first output row, and the join glues them: what follows the typed text in
 * the first line is then kept as the first output line.
 */
export function outputAfterSend(captured: readonly string[], sent = ""): string[] {
  const lines = captured.slice(1).filter(notEcho(sent));
  const glued = gluedOutput(captured[0] ?? "", sent);
  if (glued !== "") lines.unshift(glued);
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * Of the first logical line after a send (the prompt row with the echo),
 * the output the join glued after the typed text (see
 * {@link outputAfterSend}); empty when there is none.
 */
export function gluedOutput(first: string, sent = ""): string {
  const typed = sent.split("\n")[0].trimEnd();
  const at = typed === "" ? -1 : first.lastIndexOf(typed);
  const glued = at === -1 ? "" : first.slice(at + typed.length);
  return glued.trimEnd() === "" ? "" : glued;
}

/**
 * Whether a line after the first is output, not the echo of a further line
 * of the sent text (see {@link outputAfterSend}).
 */
export function notEcho(sent = ""): (line: string) => boolean {
  const echo = sent.split("\n").slice(1).map((line) => line.trimEnd()).filter((l) => l !== "");
  return (line) => {
    const text = line.trimEnd();
    return !echo.some((typed) => text.endsWith(typed));
  };
}

/**
 * Finds the anchor row in each capture of the pane's grid. The anchor is
 * absolute (history size + cursor row), so scrolling does not move it. When
 * the history shrinks (clear-history, a clear with `\e[3J`) or is full
 * (tmux then drops its oldest lines, and the row count no longer tells), the
 * anchor is found by content: the last line that shows the typed text (its
 * first line) is the typed line. If no line shows it, either the screen was
 * cleared after the send (all of the pane's text is new) or, with a full
 * history, the typed line and maybe some output were dropped: {@link lost}
 * then says so. Waits that can tap the pane's byte stream (`tap.ts`) do not
 * need this.
 */
export class AnchoredView {
  /** Whether output after the send may be gone (a full history dropped the typed line). */
  lost = false;
  #row: number;
  #historySize: number;
  #guess: number;
  #typed: string;
  #byEcho = false;
  #full = false;

  /** A view from `after`; `onLost` is told when rows can no longer be counted. */
  constructor(after: AfterSend, private readonly onLost: () => void = () => {}) {
    this.#row = after.anchor.historySize + after.anchor.cursorY;
    this.#historySize = after.anchor.historySize;
    this.#guess = after.anchor.historySize;
    this.#typed = (after.sent ?? "").split("\n")[0].trimEnd();
  }

  /** What to capture: from the anchor row for the current guess of the history size. */
  capture(): CaptureOptions {
    return this.#byEcho
      ? { history: "all", join: true }
      : { start: this.#row - this.#guess, join: true };
  }

  /**
   * The captured lines from the typed line on, or `null` when the capture
   * must be redone (the history moved between guessing and capturing).
   */
  fromAnchor(snap: PaneSnapshot, lastTry: boolean): string[] | null {
    if (this.#byEcho) {
      const at = snap.lines.findLastIndex((line) => line.trimEnd().endsWith(this.#typed));
      if (at === -1 && this.#full) this.lost = true;
      return at === -1 ? ["", ...snap.lines] : snap.lines.slice(at);
    }
    const historySize = snap.state.historySize;
    // tmux drops a tenth of the history at once when it reaches the limit, so a history
    // at 90% of its limit or more may have been trimmed since the anchor was taken.
    const full = snap.state.historyLimit > 0 &&
      historySize >= Math.floor(snap.state.historyLimit * 0.9);
    if (historySize < this.#historySize || full) {
      this.#full ||= full;
      this.onLost();
      if (this.#typed !== "") {
        this.#byEcho = true;
        return null;
      }
      // Nothing to look for: take the vanished lines as the oldest ones,
      // which can put the anchor late, never early.
      if (full) this.lost = true;
      this.#row = Math.max(0, this.#row - (this.#historySize - historySize));
      this.#historySize = historySize;
    }
    const fits = historySize === this.#guess;
    this.#guess = historySize;
    return fits || lastTry ? snap.lines : null;
  }
}
