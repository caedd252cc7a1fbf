/**
 * An Enter that arrives. Some full-screen and raw-mode programs (TUIs)
 * ignore an Enter that comes in the same burst as the text before it, so
 * the typed line just sits in their input box. After safe-send types text
 * and presses Enter, {@link confirmEnter} watches the pane: when the cursor
 * moves to another line, or the typed text left the cursor's line after it
 * was seen there, Enter was taken; when the typed text is still right
 * before the cursor {@link ENTER_CHECK_MS} after the send, Enter is pressed
 * once more (never more). Text that never shows at the cursor (a busy
 * program, no echo) is left alone.
 *
 * @module
 */
import { TmuxToolError } from "./errors.ts";
import type { Anchor, Pane, PaneSnapshot } from "./pane.ts";
import { sleep } from "./time.ts";

/** How long the typed text may stay before the cursor before Enter is pressed again. */
export const ENTER_CHECK_MS = 400;

/** How the check of an Enter ended. */
export type EnterCheck =
  /** Enter was taken (the cursor moved on, or the text left its line). */
  | "taken"
  /** The text stayed before the cursor: Enter was pressed once more. */
  | "resent"
  /** The text never showed at the cursor (no echo, a busy program): nothing to judge. */
  | "unknown";

/** Options of {@link confirmEnter}. */
export interface EnterCheckOptions {
  /** How long to watch (default {@link ENTER_CHECK_MS}). */
  waitMs?: number;
  /** Aborts the check (it then rejects with the signal's reason). */
  signal?: AbortSignal;
}

/**
 * Watches the pane after `typed` was sent followed by Enter (`anchor`: the
 * cursor just before the send) and presses Enter once more when the text
 * stayed on the input line.
 *
 * @throws the signal's reason when `signal` aborts.
 */
export async function confirmEnter(
  pane: Pane,
  typed: string,
  anchor: Anchor,
  options: EnterCheckOptions = {},
): Promise<EnterCheck> {
  const line = typed.split("\n").at(-1)!.trimEnd();
  if (line.trim() === "") return "unknown";
  const { signal } = options;
  const probe = new EnterProbe(line, anchor);
  const started = performance.now();
  const waitMs = options.waitMs ?? ENTER_CHECK_MS;
  // Most programs take Enter within a few milliseconds: look soon, then less often.
  for (let look = 0;; look++) {
    let snapshot: PaneSnapshot;
    try {
      snapshot = await pane.snapshot({}, { signal });
    } catch (error) {
      signal?.throwIfAborted();
      if (error instanceof TmuxToolError) return "unknown"; // the pane or server went away
      throw error;
    }
    if (probe.test(snapshot)) return "taken";
    const left = waitMs - (performance.now() - started);
    if (left <= 0) break;
    if (!(await sleep(Math.min(LOOK_GAPS_MS[look] ?? LOOK_GAPS_MS.at(-1)!, left), signal))) {
      throw signal?.reason;
    }
  }
  if (!probe.pending) return "unknown";
  await pane.server.run(["send-keys", "-t", pane.id, "Enter"], { signal });
  return "resent";
}

/** Milliseconds between the looks of {@link confirmEnter} (the last one repeats). */
const LOOK_GAPS_MS = [1, 2, 4, 8, 16, 25];

/** Looks at the cursor's row: is the typed text still right before the cursor? */
class EnterProbe {
  /** The text was right before the cursor at the last look. */
  pending = false;
  #seen = false;
  readonly #row: number;

  constructor(private readonly line: string, anchor: Anchor) {
    this.#row = anchor.historySize + anchor.cursorY;
  }

  /** Whether Enter was taken, from a snapshot of the visible screen. */
  test({ lines, state }: PaneSnapshot): boolean {
    // The cursor went to another line (a new prompt, a full-screen program's own row).
    if (state.historySize + state.cursorY !== this.#row) return true;
    const row = [...(lines[state.cursorY] ?? "")];
    const before = row.slice(0, state.cursorX).join("").trimEnd();
    const after = row.slice(state.cursorX).join("").trim();
    // The row shows the end of the typed text (all of it, or its wrapped tail), the cursor after it.
    this.pending = after === "" && before !== "" &&
      (before.endsWith(this.line) || this.line.endsWith(before.trimStart()));
    if (this.pending) this.#seen = true;
    else if (this.#seen) return true;
    return false;
  }
}
