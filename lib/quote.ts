/**
 * Every tmux quoting and escaping rule, in one place. tmux is always run
 * with an argument array (never through a shell), so what is left to escape
 * is what tmux itself reads specially in an argument:
 *
 * - a `;` at the end of an argument ends a tmux command (`\;` keeps it);
 * - `#` starts a format in the arguments tmux expands (`-s`, `-n`, `-F`);
 * - a target without `=` matches a session by prefix (`foo` finds `foobar`).
 *
 * @module
 */

/**
 * Makes `text` safe as one tmux argument: tmux ends a command at an argument
 * that ends with `;` unless that `;` is escaped as `\;` (and then turns `\;`
 * back into `;`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tmuxArgument } from "./quote.ts";
 * assert.equal(tmuxArgument("ls;"), "ls\\;");
 * ```
 */
export function tmuxArgument(text: string): string {
  return text.endsWith(";") ? `${text.slice(0, -1)}\\;` : text;
}

/** `text` as a tmux format that expands to itself: `#` doubled, so `#(cmd)` runs nothing. */
export function formatLiteral(text: string): string {
  return text.replaceAll("#", "##");
}

/** Exact session target: `=NAME`, so `foo` never matches `foobar`. */
export function exactSession(name: string): string {
  return `=${name}`;
}

/** Field separator of `-F` templates: a control character tmux escapes in names. */
export const FIELD_SEP = "\x1f";

/** Builds a `-F` template from format variables, joined by {@link FIELD_SEP}. */
export function formatTemplate(fields: readonly string[]): string {
  return fields.map((f) => `#{${f}}`).join(FIELD_SEP);
}

/** Splits `-F` output into rows of fields, skipping blank lines. */
export function parseRows(stdout: string): string[][] {
  return stdout.split("\n").filter((line) => line !== "").map((line) => line.split(FIELD_SEP));
}

/**
 * `text` as one POSIX shell word (single-quoted): for the shell commands
 * tmux runs on our behalf (`pipe-pane`'s copy of a pane's output) and the
 * command lines `run` types into a POSIX shell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellWord } from "./quote.ts";
 * assert.equal(shellWord("it's"), `'it'\\''s'`);
 * ```
 */
export function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/**
 * A shell command as `pipe-pane` takes it: tmux expands formats (`#`) and
 * strftime sequences (`%`) in it before `/bin/sh` runs it, so both are
 * doubled to reach the shell as written (paths may hold either: a session's
 * output folder is named with `%XX` escapes).
 */
export function pipeCommand(command: string): string {
  return formatLiteral(command).replaceAll("%", "%%");
}
