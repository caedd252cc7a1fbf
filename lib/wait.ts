/**
 * Waiting for a line of text in a pane: a probe over {@link waitUntil} that
 * matches the rendered pane text (wrapped lines joined) line by line, either
 * in the last lines of the pane or only in the output that appeared after a
 * send (see `anchor.ts`).
 *
 * @module
 */
import { type AfterSend, AnchoredView, outputAfterSend } from "./anchor.ts";
import type { CaptureOptions } from "./capture.ts";
import type { LineMatcher } from "./lines.ts";
import type { Pane, PaneSnapshot } from "./pane.ts";
import { TerminalLines } from "./render.ts";
import type { PaneTap } from "./tap.ts";
import { type Probe, type UntilOptions, waitUntil } from "./until.ts";

/** How a wait for text ended. */
export type WaitOutcome =
  | { kind: "matched"; line: string }
  | { kind: "timed_out"; lastText: string }
  | { kind: "pane_gone"; reason: string };

/** Options of {@link waitForText}. */
export interface WaitOptions extends UntilOptions {
  /** Decides matches line by line (see `compilePattern`). */
  matcher: LineMatcher;
  /** Lines of history above the screen to search (default 1000); not used with `after`. */
  history?: number;
  /** Match only output that appeared after a send. */
  after?: AfterSend;
  /**
   * With `after`: the tap opened with the send; output is read from it (every
   * line, whatever the pane's history keeps) instead of from the grid.
   */
  tap?: PaneTap;
}

/**
 * Waits until a line of the pane matches, the budget `waitMs` is spent, or
 * the pane goes away. Never throws for those.
 *
 * @throws the signal's reason when `signal` aborts.
 * @throws {TmuxNotFoundError} tmux is not on PATH.
 */
export async function waitForText(pane: Pane, options: WaitOptions): Promise<WaitOutcome> {
  const probe = options.after
    ? options.tap
      ? new StreamLinesAfterSend(options.tap, options.after, options.matcher)
      : new LinesAfterSend(options.after, options.matcher, options.onProgress)
    : new RecentLines(options.history ?? 1000, options.matcher);
  const outcome = await waitUntil(pane, probe, options);
  switch (outcome.kind) {
    case "done":
      return { kind: "matched", line: outcome.value };
    case "timed_out":
      return { kind: "timed_out", lastText: probe.lastText };
    case "pane_gone":
      return outcome;
  }
}

/** Matches the last `history` lines of history and the screen. */
class RecentLines implements Probe<string> {
  lastText = "";
  constructor(private readonly history: number, private readonly matcher: LineMatcher) {}

  capture(): CaptureOptions {
    return { history: this.history, join: true, trimTrailingBlank: true };
  }

  test({ lines }: PaneSnapshot) {
    this.lastText = lines.join("\n");
    const line = lines.find(this.matcher);
    return line === undefined ? undefined : { done: line };
  }
}

/** Matches only the output lines after a send. */
class LinesAfterSend implements Probe<string> {
  lastText = "";
  readonly #view: AnchoredView;

  constructor(
    private readonly after: AfterSend,
    private readonly matcher: LineMatcher,
    onProgress?: (message: string) => void,
  ) {
    this.#view = new AnchoredView(
      after,
      () => onProgress?.("History shrank since the send; finding the typed line by its text"),
    );
  }

  capture(): CaptureOptions {
    return this.#view.capture();
  }

  test(snapshot: PaneSnapshot, lastTry: boolean) {
    const rows = this.#view.fromAnchor(snapshot, lastTry);
    if (rows === null) return "recapture" as const;
    const lines = outputAfterSend(rows, this.after.sent);
    this.lastText = lines.join("\n");
    const line = lines.find(this.matcher);
    return line === undefined ? undefined : { done: line };
  }
}

/** Matches only the output lines after a send, read from the pane's tap. */
class StreamLinesAfterSend implements Probe<string> {
  lastText = "";
  readonly #stream = new TerminalLines();
  #checked = 0;
  #quiet = 0;

  constructor(
    private readonly tap: PaneTap,
    private readonly after: AfterSend,
    private readonly matcher: LineMatcher,
  ) {}

  capture(): null {
    return null; // the state is enough: the text comes from the tap
  }

  test() {
    const bytes = this.tap.read();
    if (bytes.length === 0) {
      this.#quiet++;
      return this.#quiet < 2 ? "soon" as const : undefined;
    }
    this.#quiet = 0;
    this.#stream.write(bytes);
    const lines = outputAfterSend(this.#stream.all(), this.after.sent);
    this.lastText = lines.slice(-LAST_TEXT_LINES).join("\n");
    // Lines matched before are not matched again; the last (maybe partial) one is.
    const from = Math.max(0, this.#checked - 1);
    this.#checked = lines.length;
    const line = lines.slice(from).find(this.matcher);
    return line === undefined ? "soon" as const : { done: line };
  }
}

/** How many lines a timed-out stream wait reports as its last text. */
const LAST_TEXT_LINES = 1000;
