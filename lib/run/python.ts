/**
 * Python runs that behave like a file. The code is not typed line by line
 * (the REPL would end a block at a blank line, reject a statement after a
 * dedented block, and its own prompts would mix with the output): the REPL
 * gets one line, `exec(DRIVER, {'S': CODE, ...})`, where the driver (a fixed
 * program, below) parses the whole code as a module and runs its statements
 * one by one in `__main__` as the REPL would (an expression's value is
 * printed and kept in `_`). It prints invisible start and end marks around
 * the output; the end mark carries 1 exactly when an exception reached the
 * top level (its traceback is printed as the REPL prints it, without the
 * driver's frame, and kept in `sys.last_exc` for `pdb.pm()`), else 0, or
 * the status of `SystemExit`. The same line works in the basic REPL and in
 * the 3.13+ one (where it is pasted, since that REPL redraws the line at
 * each key).
 *
 * @module
 */
import { betweenMarks, OSC_MARK, type Plan } from "./plan.ts";
import { backslashEscaped, gridMarkerReader, TYPE_LIMIT } from "./shell.ts";

/**
 * The driver: runs the code `S` statement by statement (`single` mode, so
 * values are shown), prints `A` before and `B % status` after, flushing
 * Python's streams first so the output stays between them.
 */
const DRIVER = [
  "import sys,ast,__main__ as m",
  "def w(t):sys.stdout.flush();sys.stderr.flush();o=sys.__stdout__;o.write(t);o.flush()",
  "def r(e,t):global c;c=1;e=e.with_traceback(t);sys.last_type,sys.last_value," +
  "sys.last_traceback,sys.last_exc=type(e),e,t,e;sys.excepthook(type(e),e,t)",
  "w(A);c=0",
  "try:b=ast.parse(S,'<stdin>').body",
  "except SyntaxError as e:b=();r(e,None)",
  "try:",
  " for n in b:exec(compile(ast.Interactive([n]),'<stdin>','single'),m.__dict__)",
  "except SystemExit as e:c=e.code if isinstance(e.code,int) else int(e.code is not None);raise",
  "except BaseException as e:r(e,e.__traceback__.tb_next)",
  "finally:w(B%c)",
  "",
].join("\n");

/**
 * `text` as a Python string literal (single quotes; backslash, quote and
 * control characters escaped), so it is one line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pythonString } from "./python.ts";
 * assert.equal(pythonString("it's\n\ttab"), "'it\\'s\\n\\ttab'");
 * ```
 */
export function pythonString(text: string): string {
  return `'${backslashEscaped(text)}'`;
}

/** The one line typed into the REPL for `code`; `visible` marks for a grid that can't see OSC. */
export function pythonLine(code: string, id: string, visible = false): string {
  const start = visible ? "" : `\x1b]${OSC_MARK};${id};start\x07`;
  const end = visible ? `\n__ctmux_${id}_%d__\n` : `\x1b]${OSC_MARK};${id};%d\x07`;
  return `exec(${pythonString(DRIVER)},{'S':${pythonString(code)},'A':${pythonString(start)},'B':${
    pythonString(end)
  }})`;
}

/**
 * A Python run: one line, ended by the driver's marks (tapped) or its
 * visible marker line (grid). `redraws`: the REPL redraws its line at each
 * key (3.13+), so the line is pasted.
 */
export function pythonPlan(code: string, id: string, tapped: boolean, redraws: boolean): Plan {
  const text = pythonLine(code, id, !tapped);
  const paste = redraws || new TextEncoder().encode(text).length > TYPE_LIMIT;
  const steps = [{ text, paste }];
  if (tapped) return { steps, read: (seen) => betweenMarks(id, seen), rows: false };
  return { steps, read: gridMarkerReader(id, `__ctmux_${id}_%d__`), rows: true };
}
