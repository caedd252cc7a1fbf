/**
 * What every run plan shares: what has been seen since the send (the tap's
 * rendered byte stream and its OSC marks, or the grid's rows), how a plan
 * says what the output is and whether the run has ended, and the invisible
 * OSC marks (`ESC ] 7777;ctmux;ID;start BEL`, `...;ID;STATUS BEL`) that
 * bracket a command's output in the byte stream.
 *
 * @module
 */
import type { OscEvent, TerminalLines } from "../render.ts";
import type { RunMode, ShellDialect } from "./modes.ts";
import type { Foreground } from "./waiting.ts";

/** What a run has seen since the send. */
export interface Seen {
  /** The pane's byte stream since the send, rendered (tapped runs). */
  stream?: TerminalLines;
  /** The stream's OSC sequences, in order. */
  markers: readonly OscEvent[];
  /** The grid's rows after the send, the typed line left out (untapped runs). */
  rows: readonly string[];
}

/** A plan's reading of what was seen. */
export interface Reading {
  /** The output so far (the last line may be one still in progress). */
  output: string[];
  /** The line in progress at the end of what was seen (a prompt, when one waits). */
  partial: string;
  /** Set when the run (or, in a prompt-driven run, the current step) has ended. */
  exitCode?: number;
  /** The first input could not run as sent: send the plan's fallback. */
  retry?: boolean;
}

/** How a run has gone so far: the steps sent, and where each began in the stream. */
export interface Progress {
  /** Steps sent. */
  sent: number;
  /** For each sent step, the stream line its echo is on. */
  starts: number[];
  /** The plan's fallback was sent (the first input is not to be retried again). */
  fellBack?: boolean;
}

/** A pattern as stored: a `grep -E` pattern, or a JavaScript RegExp's source and flags. */
export type PromptSpec = { ere: string } | { source: string; flags: string };

/** Everything a plan is made from: stored with a pending run so a resume can rebuild it. */
export interface PlanSpec {
  /** The mode. */
  mode: RunMode;
  /** The run's id (its marks carry it). */
  id: string;
  /** The command as given. */
  command: string;
  /** The shell's dialect (shell mode). */
  dialect?: ShellDialect;
  /** The prompt pattern (prompt mode). */
  prompt?: PromptSpec;
  /** Read from the byte stream (a tap), else from the grid. */
  tapped: boolean;
  /** Columns the prompt took on the cursor's row at the send (the echo starts after it). */
  promptWidth: number;
  /** The cursor's row up to the cursor at the send (a shell's prompt: its return ends a line). */
  promptLine: string;
  /**
   * The program redraws its input line at each key (it asked for cursor keys: Python 3.13's
   * REPL), so input is pasted. Kept with the spec: a resume may still send the fallback.
   */
  redraws?: boolean;
}

/** One input to send. */
export interface Step {
  /** The text. */
  text: string;
  /** Paste it (through a buffer, bracketed where asked) instead of typing it; Enter follows. */
  paste: boolean;
}

/** What to send, and how to read the output and the end from what was seen. */
export interface Plan {
  /** The inputs, sent one after another (each after the previous one ended). */
  steps: Step[];
  /** Output so far and, once ended, the exit status. */
  read(seen: Seen, progress: Progress): Reading;
  /**
   * Whether the run has ended, told without reading the output (a tapped
   * plan with marks: the end mark has come); `read` is then not needed at
   * every look while output streams in.
   */
  ended?: (seen: Seen) => boolean;
  /** Whether the run ends by a prompt coming back (so a prompt is not "waiting for input"). */
  atPrompt?: (line: string) => boolean;
  /**
   * A shell's prompt is back but the end mark never came (the line was
   * interrupted): then {@link Plan.statusQuery} is typed to learn its status.
   * `fg` is what `ps` says of the foreground (`unknown` when not asked).
   */
  promptBack?: (reading: Reading, fg: Foreground) => boolean;
  /** The line that asks the shell for `$?` and prints the end mark. */
  statusQuery?: string;
  /**
   * Sent (once) when a reading asks to `retry` the first input another way;
   * made only then (it is rarely needed, and long).
   */
  fallback?: () => Step;
}

/** The OSC text that opens every mark of the toolkit. */
export const OSC_MARK = "7777;ctmux";

/** The text of a run's start mark. */
export function startMark(id: string): string {
  return `${OSC_MARK};${id};start`;
}

/** Matches the text of a run's end mark; group 1 is the exit status. */
export function endMark(id: string): RegExp {
  return new RegExp(`^${OSC_MARK};${id};(\\d+)$`);
}

/**
 * The output between a run's start and end marks (up to the stream's end
 * while the end mark has not come). With no start mark (the whole input was
 * refused, say a shell's syntax error before anything ran), the output is
 * what follows the echo of the input (the stream's first line).
 */
export function betweenMarks(id: string, seen: Seen): Reading & { ended: boolean } {
  const { stream, markers } = seen;
  if (!stream) return { output: [], partial: "", ended: false };
  // The same view read twice (the probe's last look, then the outcome): one array, not two.
  // The plans only ever drop their own trace lines from its end, which a second pass finds
  // already gone, so the array is shared.
  const key = `${id} ${stream.lineCount} ${markers.length} ${stream.partial.length}`;
  const cached = LAST_READING.get(seen);
  if (cached?.key === key) return { ...cached.reading };
  const reading = readBetweenMarks(id, stream, markers);
  if (reading.ended) LAST_READING.set(seen, { key, reading });
  return reading;
}

/** The last ended reading of each view (a finished run is read once more for its outcome). */
const LAST_READING = new WeakMap<Seen, { key: string; reading: Reading & { ended: boolean } }>();

function readBetweenMarks(
  id: string,
  stream: TerminalLines,
  markers: readonly OscEvent[],
): Reading & { ended: boolean } {
  const starts = startMark(id);
  const ends = endMark(id);
  const start = markers.find((m) => m.text === starts);
  const end = markers.find((m) => ends.test(m.text));
  if (!start && !end) return { output: [], partial: stream.partial, ended: false };
  const count = stream.lineCount;
  const from = start ?? { line: Math.min(1, count), partial: "" };
  const upTo = end ?? { line: count, partial: stream.partial };
  let output: string[];
  if (from.line === upTo.line) output = [upTo.partial.slice(from.partial.length)];
  else {
    // One array for a million lines, not two: the first line loses the text before the start
    // mark, the line in progress is added.
    output = stream.lines(from.line, upTo.line);
    output[0] = output[0].slice(from.partial.length);
    output.push(upTo.partial);
  }
  if (output.at(-1) === "") output.pop(); // the output ended with a line break
  const partial = end ? "" : stream.partial;
  if (!end) return { output, partial, ended: false };
  return { output, partial, ended: true, exitCode: Number(ends.exec(end.text)![1]) };
}

/** Whether a run's end mark has come in the stream. */
export function endMarkSeen(id: string, { markers }: Seen): boolean {
  const ends = endMark(id);
  return markers.some((m) => ends.test(m.text));
}

/** A random id for a run (its marks and its files). */
export function runId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 16);
}
