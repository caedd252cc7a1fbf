/**
 * The programs `run` drives, by mode: what each one's prompt looks like on
 * the cursor's row, and which program names select it. The pane decides the
 * mode (see `detect.ts`); this module only knows the programs.
 *
 * @module
 */

/**
 * How a command is run: `shell` (POSIX shells: bash, sh/dash, zsh, ksh;
 * `fish`), `python` (the basic and the 3.13+ REPL), `pdb` (pdb and ipdb),
 * `gdb`, `lldb`, `node` (node's REPL), or `prompt` (any other prompt-based
 * program, with a caller's prompt pattern).
 */
export type RunMode = "shell" | "python" | "pdb" | "gdb" | "lldb" | "node" | "prompt";

/** Every {@link RunMode} a caller may name (`prompt` comes with a prompt pattern). */
export const RUN_MODES: readonly RunMode[] = [
  "shell",
  "python",
  "pdb",
  "gdb",
  "lldb",
  "node",
  "prompt",
];

/** How a shell reads quoted text: `$'...'` (bash, zsh, ksh), POSIX quotes only, or fish. */
export type ShellDialect = "bash" | "posix" | "fish";

/** Shells whose line editor or parser takes `$'...'` (so a command is typed as one line). */
const ANSI_C_SHELLS = new Set(["bash", "zsh", "ksh", "ksh93", "mksh", "rbash"]);
/** Other POSIX shells (dash and friends read one line at a time with no line editor). */
const POSIX_SHELLS = new Set(["sh", "dash", "ash", "yash", "posh", "busybox"]);

/** A program's name as tmux or ps reports it: no path, no login-shell dash. */
export function programName(program: string | undefined): string {
  return (program ?? "").trim().replace(/^-/, "").replace(/^.*\//, "");
}

/** The shell dialect of a program, or `undefined` when it is not a shell. */
export function shellDialect(program: string | undefined): ShellDialect | undefined {
  const name = programName(program);
  if (ANSI_C_SHELLS.has(name)) return "bash";
  if (POSIX_SHELLS.has(name)) return "posix";
  if (name === "fish") return "fish";
  return undefined;
}

/** Prompts that end a run in each prompt-driven mode, matched on the line the cursor is on. */
export const MODE_PROMPTS: Readonly<Record<Exclude<RunMode, "shell" | "prompt">, RegExp>> = {
  python: /^>>> $/,
  // pdb's prompt, nested ones (`((Pdb)) `), and ipdb's.
  pdb: /^(\(+Pdb\)+|ipdb>) $/,
  gdb: /^\(gdb\) $/,
  lldb: /^\(lldb\) $/,
  node: /^> $/,
};

/** The Python REPL's continuation prompt: a block is open. */
export const PYTHON_CONTINUATION = /^\.\.\. $/;

/**
 * The mode whose prompt `line` (the cursor row up to the cursor) shows, for
 * prompts that are distinctive on their own (not node's bare `> `).
 */
export function modeOfPrompt(line: string): RunMode | undefined {
  for (const mode of ["python", "pdb", "gdb", "lldb"] as const) {
    if (MODE_PROMPTS[mode].test(line)) return mode;
  }
  return undefined;
}

/** The mode a program's name suggests (its prompt must still be on the cursor row). */
export function modeOfProgram(program: string | undefined): RunMode | undefined {
  const name = programName(program);
  if (shellDialect(name)) return "shell";
  if (/^(python|pypy)[\d.]*$/.test(name)) return "python";
  if (/^i?pdb[\d.]*$/.test(name)) return "pdb";
  if (/^gdb/.test(name)) return "gdb";
  if (/^lldb/.test(name)) return "lldb";
  if (name === "node" || name === "nodejs") return "node";
  return undefined;
}

/** The mode a registry type hints at (`shell`, `python-repl`, `debugger`). */
export function modeOfType(type: string | undefined): RunMode | undefined {
  switch (type) {
    case "shell":
      return "shell";
    case "python-repl":
      return "python";
    case "debugger":
      return "gdb";
  }
  return undefined;
}
