/**
 * Prompt-driven runs (pdb/ipdb, gdb, lldb, node's REPL, and any program
 * given a prompt pattern): each line of the command is typed after the
 * previous one's prompt came back, and the output is what appeared between
 * a line's echo and the prompt's return. From the tap's byte stream the
 * echo is the line each input was typed on; from the grid (no tap) it is
 * the row showing the prompt and that input.
 *
 * The exit status is 0, except where the program marks errors in a way
 * that can't be printed by accident as part of a normal answer: node's
 * `Uncaught ...` and pdb's `*** ...` lines give 1.
 *
 * @module
 */
import type { RunMode } from "./modes.ts";
import type { Plan, Progress, Reading, Seen, Step } from "./plan.ts";
import { TYPE_LIMIT } from "./shell.ts";

/** Lines that say an input failed, per mode. */
const ERROR_LINE: Partial<Record<RunMode, RegExp>> = {
  node: /^Uncaught /,
  pdb: /^\*\*\* /,
};

/** Inputs of a prompt-driven run: its non-blank lines, each typed (or pasted: TABs, length). */
function promptSteps(command: string): Step[] {
  return command.split("\n").map((line) => line.trimEnd()).filter((line) => line.trim() !== "")
    .map((text) => ({
      text,
      paste: text.includes("\t") || new TextEncoder().encode(text).length > TYPE_LIMIT,
    }));
}

/** Whether `line` is the echo of the typed `text` (the prompt, then the text). */
function isEcho(line: string, text: string): boolean {
  return line.trimEnd().endsWith(text.trimEnd());
}

/** The exit status of finished output: 1 when a line marks an error in this mode. */
function statusOf(mode: RunMode, output: readonly string[]): number {
  const error = ERROR_LINE[mode];
  return error && output.some((line) => error.test(line)) ? 1 : 0;
}

/**
 * A prompt-driven plan: `prompt` tells the line a program waits at for its
 * next input; the run ends when it is back after the last input.
 */
export function promptPlan(
  command: string,
  mode: RunMode,
  prompt: (line: string) => boolean,
  tapped: boolean,
): Plan {
  const steps = promptSteps(command);

  const fromStream = ({ stream }: Seen, progress: Progress): Reading => {
    if (!stream) return { output: [], partial: "" };
    const lines = stream.lines();
    const { partial } = stream;
    const output: string[] = [];
    for (let i = 0; i < progress.sent; i++) {
      const start = progress.starts[i];
      const stop = i + 1 < progress.sent ? progress.starts[i + 1] : lines.length;
      // A program that does not echo its input has no echo line to skip.
      const from = start < lines.length && isEcho(lines[start], steps[i].text) ? start + 1 : start;
      output.push(...lines.slice(from, stop));
    }
    const last = progress.starts[progress.sent - 1] ?? 0;
    if (lines.length > last && prompt(partial)) {
      return { output, partial, exitCode: statusOf(mode, output) };
    }
    if (partial !== "" && lines.length > last) output.push(partial);
    return { output, partial };
  };

  const fromRows = ({ rows }: Seen, progress: Progress): Reading => {
    // The first input's echo row is already left out; later ones show as prompt + input.
    const output: string[] = [];
    let echoed = 1;
    for (const row of rows) {
      if (echoed < progress.sent && isEcho(row, steps[echoed].text)) echoed++;
      else output.push(row);
    }
    while (output.length > 0 && output.at(-1) === "") output.pop();
    const partial = output.at(-1) ?? "";
    if (echoed === progress.sent && output.length > 0 && prompt(partial)) {
      output.pop();
      return { output, partial, exitCode: statusOf(mode, output) };
    }
    return { output, partial };
  };

  return { steps, read: tapped ? fromStream : fromRows, atPrompt: prompt };
}
