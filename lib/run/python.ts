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
 * each key). Before its start mark the driver moves the cursor up over the
 * rows the typed line took, erases them and prints the code as a person
 * would have typed it (`>>> ` and `... ` lines), so the pane shows the code,
 * not the driver; it does so only for an ASCII line (whose width is known).
 *
 * @module
 */
import { betweenMarks, endMarkSeen, OSC_MARK, type Plan, startMark } from "./plan.ts";
import { backslashEscaped, gridMarkerReader, TYPE_LIMIT } from "./shell.ts";

/**
 * The driver, a function `d(S, A, B, E, K)`: runs the code `S` statement by
 * statement (`single` mode, so values are shown), prints `A` before and
 * `B % status` after, flushing Python's streams first so the output stays
 * between them. With `E` (the columns each typed line took, their prompts
 * included; `K` columns of each row the REPL keeps for itself), it first
 * replaces those rows with the code. Defined once per REPL as an attribute
 * of `sys` named after the driver's own hash, then called by a short line.
 */
const DRIVER_BODY = [
  "import sys",
  "def d(S,A,B,E,K):",
  " import ast,__main__ as m",
  " o=sys.__stdout__",
  " def w(t):sys.stdout.flush();sys.stderr.flush();o.write(t);o.flush()",
  " def v():",
  "  try:n=__import__('os').get_terminal_size(o.fileno()).columns-K",
  "  except Exception:n=0",
  "  if n<1 or not E:return ''",
  "  p,q=str(getattr(sys,'ps1','>>> ')),str(getattr(sys,'ps2','... '))",
  // The rows are deleted (DL), not cleared: clearing from the top-left corner makes tmux
  // scroll the screen into the history, and cleared rows keep their "wrapped" mark.
  "  r=sum(-(-e//n) for e in E);return '\\x1b[%dA\\r\\x1b[%dM'%(r,r)+''.join((q if i else p)+l+'\\n' for" +
  " i,l in enumerate(S.split('\\n')))",
  " def r(e,t):e=e.with_traceback(t);sys.last_type,sys.last_value,sys.last_traceback," +
  "sys.last_exc=type(e),e,t,e;sys.excepthook(type(e),e,t);return 1",
  " w(v()+A);c=0",
  " try:b=ast.parse(S,'<stdin>').body",
  " except SyntaxError as e:b=();c=r(e,None)",
  " try:",
  "  for n in b:exec(compile(ast.Interactive([n]),'<stdin>','single'),m.__dict__)",
  " except SystemExit as e:c=e.code if isinstance(e.code,int) else int(e.code is not None);raise",
  " except BaseException as e:c=r(e,e.__traceback__.tb_next)",
  " finally:w(B%c)",
].join("\n");

/** FNV-1a of `text`, 8 hex digits. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, "0");
}

/** The driver's name on `sys`: a changed driver never calls an old one. */
const DRIVER_NAME = `_ctmux_${hash(DRIVER_BODY)}`;

/** The driver's definition, installing it on `sys`. */
const DRIVER = `${DRIVER_BODY}\nsys.${DRIVER_NAME}=d\n`;

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

/** Where the typed line lands: the prompt's width, and whether the REPL is 3.13's. */
export interface PythonEcho {
  /** Columns of the prompt before the typed line. */
  promptWidth: number;
  /** The REPL redraws its line and keeps a column of each row for a wrap mark (3.13+). */
  pyrepl: boolean;
}

/**
 * The line typed into the REPL for `code`: with `install`, one that defines
 * the driver and calls it; else a short one that calls the driver already
 * defined, or, where it is not (a new REPL), prints an invisible `retry`
 * mark. `visible` marks are for a grid that can't see OSC; `echo` tells how
 * to replace the typed line's rows with the code (left as typed without it,
 * in a grid, or when not ASCII).
 */
export function pythonLine(
  code: string,
  id: string,
  options: { visible?: boolean; install?: boolean; echo?: PythonEcho; above?: number[] } = {},
): string {
  const { visible = false, echo } = options;
  const start = visible ? "" : `\x1b]${OSC_MARK};${id};start\x07`;
  const end = visible ? `\n__ctmux_${id}_%d__\n` : `\x1b]${OSC_MARK};${id};%d\x07`;
  const retry = `\x1b]${OSC_MARK};${id};retry\x07`;
  const call = options.install
    ? `exec(${pythonString(DRIVER)},{});__import__('sys').${DRIVER_NAME}`
    : `getattr(__import__('sys'),'${DRIVER_NAME}',lambda*a:print(${
      pythonString(retry)
    },end='',flush=True))`;
  const head = `${call}(${pythonString(code)},${pythonString(start)},${pythonString(end)},(`;
  const tail = `),${echo?.pyrepl ? 1 : 0})`;
  const line = (columns?: number) =>
    `${head}${
      columns === undefined ? "" : [...options.above ?? [], columns].join(",") + ","
    }${tail}`;
  if (visible || echo === undefined || !/^[\x20-\x7e]*$/.test(line())) return line();
  // The line's width holds the number itself: settle on a width that counts its own digits.
  let columns = echo.promptWidth + line(0).length;
  while (echo.promptWidth + line(columns).length !== columns) {
    columns = echo.promptWidth + line(columns).length;
  }
  return line(columns);
}

/** The columns a typed line took with its prompt (`undefined` when it was not ASCII). */
function echoColumns(text: string, echo: PythonEcho): number | undefined {
  return /^[\x20-\x7e]*$/.test(text) ? echo.promptWidth + text.length : undefined;
}

/**
 * A Python run: a short line that calls the driver (the line that defines
 * it follows when the REPL does not have it yet), ended by the driver's
 * marks; without a tap, the defining line and a visible marker line. With
 * `echo` (the REPL's prompt width and kind), the typed line's rows are
 * replaced by the code on the screen.
 */
export function pythonPlan(code: string, id: string, tapped: boolean, echo: PythonEcho): Plan {
  const step = (install: boolean, above?: number[]) => {
    const text = pythonLine(code, id, { visible: !tapped, install, echo, above });
    return { text, paste: echo.pyrepl || new TextEncoder().encode(text).length > TYPE_LIMIT };
  };
  if (!tapped) {
    return { steps: [step(true)], read: gridMarkerReader(id, `__ctmux_${id}_%d__`) };
  }
  const retry = `${OSC_MARK};${id};retry`;
  const short = step(false);
  // The long line also replaces the short one above it (its mark printed nothing visible).
  const shortColumns = echoColumns(short.text, echo);
  return {
    steps: [short],
    read: (seen, progress) => {
      const reading = betweenMarks(id, seen);
      const missing = !progress.fellBack && reading.output.length === 0 && !reading.ended &&
        seen.markers.some((mark) => mark.text === retry) &&
        !seen.markers.some((mark) => mark.text === startMark(id));
      return missing ? { ...reading, retry: true } : reading;
    },
    // Cheap to tell: the end mark, or the retry mark that asks for a full reading.
    ended: (seen) => endMarkSeen(id, seen) || seen.markers.some((mark) => mark.text === retry),
    fallback: () => step(true, shortColumns === undefined ? undefined : [shortColumns]),
  };
}
