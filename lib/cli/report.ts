/**
 * The one timeout report of the waiting tools (wait-for-text, safe-send):
 * one line saying what was awaited, then at most the last N lines of the
 * pane (`--tail N`, default {@link DEFAULT_TAIL}) under a
 * `Last N lines from TARGET:` line.
 *
 * @module
 */
import type { Pane } from "../pane.ts";

/** Lines of the pane a timeout report shows unless `--tail` says otherwise. */
export const DEFAULT_TAIL = 20;

/**
 * The report: `headline`, then the last `tail` lines of the pane (history
 * and screen, wrapped lines joined, trailing blank lines dropped) captured
 * now; `fallback` (the text the wait saw last) when the pane can't be
 * captured any more (or is `null`).
 */
export async function timeoutReport(
  headline: string,
  pane: Pane | null,
  target: string,
  tail: number,
  fallback: string,
): Promise<string> {
  if (tail <= 0) return headline;
  const seen = () => fallback === "" ? [] : fallback.split("\n").slice(-tail);
  const lines = pane === null
    ? seen()
    : await pane.capture({ history: tail, join: true, trimTrailingBlank: true, last: tail })
      .catch(seen);
  if (lines.length === 0) return headline;
  return [headline, `Last ${lines.length} lines from ${target}:`, ...lines].join("\n");
}
