/**
 * Shell runs. The command is handed to the shell as one quoted word of an
 * `eval`, so whatever it holds (an unbalanced quote, a trailing backslash, an
 * open heredoc, a syntax error, TABs, `!`) it is parsed as a script would
 * be: the typed line itself is always complete, no continuation prompt can
 * appear, and a syntax error ends the run at once with the shell's own
 * status (2 in bash). The line typed for `CMD` (bash, zsh, ksh):
 *
 *     eval $'printf "\\033]7777;ctmux;ID;start\\007"\nCMD'; (s=$?; printf '\033]7777;ctmux;ID;%s\007' "$s"; exit "$s")
 *
 * The start mark is printed by the eval'd text, so it comes after the
 * shell's xtrace of the eval; the end mark is printed in a subshell that
 * exits with the command's status, so `$?` after the run is the command's.
 * Both marks are OSC sequences: the byte stream has them, the screen shows
 * nothing. POSIX shells (dash) get the same line with POSIX quotes (their
 * line reading takes a TAB as a TAB); fish gets `begin ... end` between the
 * marks. Without a tap the end mark is a visible marker line instead.
 *
 * @module
 */
import { UsageError } from "../errors.ts";
import { shellWord } from "../quote.ts";
import type { ShellDialect } from "./modes.ts";
import {
  betweenMarks,
  endMarkSeen,
  OSC_MARK,
  type Plan,
  type Reading,
  type Seen,
  type Step,
} from "./plan.ts";

/** Typed lines longer than this (in bytes) are pasted instead (tmux limits a command's length). */
export const TYPE_LIMIT = 2000;
/** A terminal in canonical mode (a shell with no line editor) takes at most this per line. */
const CANONICAL_LINE_MAX = 4095;

const encoder = new TextEncoder();

/**
 * `text` as one `$'...'` word: backslash, quote and control characters
 * escaped, so the word is one line with no TAB (a line editor would
 * complete on it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ansiCQuote } from "./shell.ts";
 * assert.equal(ansiCQuote("a'b\tc\n"), "$'a\\'b\\tc\\n'");
 * ```
 */
export function ansiCQuote(text: string): string {
  return `$'${backslashEscaped(text)}'`;
}

/**
 * `text` with backslash, single quote and control characters escaped the
 * way C, bash's `$'...'` and Python string literals all read them
 * (`\\`, `\'`, `\n`, `\t`, `\r`, `\xHH`): one line, no TAB.
 */
export function backslashEscaped(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === "\\" || ch === "'") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/**
 * Arguments as one shell command line that passes each of them as it is,
 * as `exec` would (`run -- printf '%s\n' "a b"`): words with nothing a
 * shell reads specially stay bare, others are single-quoted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandOfArgs } from "./shell.ts";
 * assert.equal(commandOfArgs(["printf", "%s\\n", "a b"]), "printf '%s\\n' 'a b'");
 * ```
 */
export function commandOfArgs(args: readonly string[]): string {
  return args.map((arg) => /^[\w@%+=:,./-]+$/.test(arg) ? arg : shellWord(arg)).join(" ");
}

/**
 * The `printf` of the end mark, in a subshell that exits with the status it
 * prints. Typed on its own, it asks the shell for `$?` (a line that ended
 * without its end mark: interrupted, or cut short by a syntax error in dash).
 */
export function endPart(id: string, visible = false): string {
  const format = visible ? `\\n__ctmux_${id}_%s__\\n` : `\\033]${OSC_MARK};${id};%s\\007`;
  return `(s=$?; printf '${format}' "$s"; exit "$s")`;
}

/**
 * The line typed in a shell for `command`: see the module doc. `visible`
 * makes the end mark a marker line the grid shows (for a pane that is not
 * tapped).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellLine } from "./shell.ts";
 * assert.equal(
 *   shellLine("make", "ab12", "bash"),
 *   `eval $'printf "\\\\033]7777;ctmux;ab12;start\\\\007"\\nmake'; ` +
 *     `(s=$?; printf '\\033]7777;ctmux;ab12;%s\\007' "$s"; exit "$s")`,
 * );
 * ```
 */
export function shellLine(
  command: string,
  id: string,
  dialect: ShellDialect,
  visible = false,
): string {
  const trimmed = command.trimEnd();
  const start = `printf "\\033]${OSC_MARK};${id};start\\007"`;
  if (dialect === "fish") {
    const end = visible
      ? `printf '\\n__ctmux_${id}_%s__\\n' $status`
      : `printf '\\033]${OSC_MARK};${id};%s\\007' $status`;
    return `${start}; begin\n${trimmed}\nend; ${end}`;
  }
  const quote = dialect === "bash" ? ansiCQuote : shellWord;
  if (!usesStatus(trimmed)) return `eval ${quote(`${start}\n${trimmed}`)}; ${endPart(id, visible)}`;
  // The start mark's printf sets $?: the status of before (expanded before eval runs) is set
  // again, in a subshell, for a command that reads it.
  const restore = `${quote(`${start}\n(exit `)}"$?"${quote(`)\n${trimmed}`)}`;
  return `eval ${restore}; ${endPart(id, visible)}`;
}

/** Whether a command reads `$?` (the status of the command before it). */
function usesStatus(command: string): boolean {
  return /\$\{?\?/.test(command);
}

/** How to send a shell line: typed, or pasted when long or when it holds line breaks. */
function shellStep(text: string, dialect: ShellDialect): Step {
  if (dialect === "posix") {
    // No line editor: the terminal's line discipline cuts longer lines.
    const longest = Math.max(...text.split("\n").map((line) => encoder.encode(line).length));
    if (longest > CANONICAL_LINE_MAX - 1) {
      throw new UsageError(
        `The shell reads at most ${CANONICAL_LINE_MAX} bytes a line from a terminal; this ` +
          `command has a line of ${longest} bytes (put it in a script file and run that)`,
      );
    }
  }
  return { text, paste: text.includes("\n") || encoder.encode(text).length > TYPE_LIMIT };
}

/**
 * Lines of the wrapper's own at the end of the output: the end part's
 * xtrace lines (`+ s=N`, `+ printf '...ID;%s\007' N`), and the prompt line
 * showing a status query typed after an interrupted line.
 */
function dropEndTrace(id: string, reading: Reading): Reading {
  if (reading.exitCode === undefined) return reading;
  const output = reading.output;
  const status = String(reading.exitCode);
  // How many lines to drop, counted first: a million-line output is not copied for nothing.
  let keep = output.length;
  if (output[keep - 1]?.endsWith(`${id};%s\\007' ${status}`)) {
    keep--;
    if (output[keep - 1]?.endsWith(` s=${status}`)) keep--;
  }
  if (output[keep - 1]?.trimEnd().endsWith(endPart(id))) keep--;
  if (keep === output.length) return reading;
  output.length = keep; // dropped in place: a second pass over the same array finds them gone
  return { ...reading, output };
}

/** The xtrace line of the status restore (`+ exit N`) that comes first in the output. */
function dropRestoreTrace(command: string, reading: Reading): Reading {
  if (!usesStatus(command) || !/^\++ ?exit \d+$/.test(reading.output[0] ?? "")) return reading;
  return { ...reading, output: reading.output.slice(1) };
}

/**
 * A shell run read from the tap's byte stream: the output lies between the
 * marks. `promptLine` is the shell's prompt as the cursor's row showed it at
 * the send: when it is back and the end mark is not, the line was cut short.
 */
export function streamShellPlan(
  command: string,
  id: string,
  dialect: ShellDialect,
  promptLine: string,
): Plan {
  const text = shellLine(command, id, dialect);
  const plan: Plan = {
    steps: [shellStep(text, dialect)],
    read: (seen: Seen) => dropRestoreTrace(command, dropEndTrace(id, betweenMarks(id, seen))),
    ended: (seen: Seen) => endMarkSeen(id, seen),
  };
  if (dialect === "fish" || promptLine.trim() === "") return plan;
  return {
    ...plan,
    // bash at its prompt waits in its line editor (poll); in a `read` it reads the terminal
    // (the prompt text could be the command's own): only the former is its prompt back, as
    // is a prompt right after the terminal's "^C".
    promptBack: (reading, fg) =>
      reading.exitCode === undefined && reading.partial === promptLine &&
      (dialect !== "bash" || fg !== "reading" || afterInterrupt(reading)),
    statusQuery: endPart(id),
  };
}

/** Whether the line before the partial one ends with the terminal's echo of C-c. */
function afterInterrupt(reading: Reading): boolean {
  const lines = reading.output.at(-1) === reading.partial
    ? reading.output.slice(0, -1)
    : reading.output;
  return lines.at(-1)?.endsWith("^C") ?? false;
}

/**
 * Reads a run from the grid's rows: output lies between the echo of the
 * typed text and a visible marker line `__ctmux_ID_STATUS__`.
 */
export function gridMarkerReader(id: string, echo: string): (seen: Seen) => Reading {
  const marker = new RegExp(`__ctmux_${id}_(\\d+)__`);
  return ({ rows }: Seen) => {
    const end = rows.findIndex((row) => marker.test(row));
    const stop = end === -1 ? rows.length : end;
    // Rows up to the last echo of the typed text are input (continuation
    // lines, or a re-echo when the program was still busy when it was typed).
    const start = rows.slice(0, stop).findLastIndex((row) => row.includes(echo)) + 1;
    const output = rows.slice(start, stop);
    if (end === -1) {
      while (output.length > 0 && output.at(-1) === "") output.pop();
      return { output, partial: output.at(-1) ?? "" };
    }
    const found = marker.exec(rows[end])!;
    const before = rows[end].slice(0, found.index);
    if (before !== "") output.push(before);
    // The marker's leading newline ends the last output line (empty if it was complete).
    else if (output.at(-1) === "") output.pop();
    return { output, partial: "", exitCode: Number(found[1]) };
  };
}

/** A shell run read from the pane's grid (no tap): a visible marker line ends it. */
export function gridShellPlan(command: string, id: string, dialect: ShellDialect): Plan {
  const text = shellLine(command, id, dialect, true);
  const read = gridMarkerReader(id, `__ctmux_${id}_%s__`);
  return {
    steps: [shellStep(text, dialect)],
    read: (seen) => dropEndTrace(id, read(seen)),
  };
}
