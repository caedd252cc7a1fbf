/**
 * CLI conventions shared by every tool: flag parsing (short and long forms,
 * values that start with `-`), `-h/--help`, one-line errors, mapping typed
 * errors to each tool's documented exit codes, and JSON printing. Only the
 * tools call {@link runTool}, which is the one place that exits.
 *
 * @module
 */
import {
  AmbiguousSessionError,
  InvalidEntryError,
  InvalidPatternError,
  TmuxToolError,
  UsageError,
} from "./errors.ts";
import { MAX_TIMER_MS } from "./time.ts";

/** An option the tool does not know, or an argument it does not take. */
export class UnknownOptionError extends UsageError {
  /** The error's name. */
  override name = "UnknownOptionError";
  /**
   * Creates the error.
   * @param option The argument as given.
   * @param positional It is not an option but a stray argument.
   */
  constructor(readonly option: string, readonly positional = false) {
    super(positional ? `Unexpected argument: ${option}` : `Unknown option: ${option}`);
  }
}

/** A required argument is missing (drop-in tools print their usage after it, as the originals did). */
export class MissingArgumentError extends UsageError {
  /** The error's name. */
  override name = "MissingArgumentError";
}

/** One flag: a long name (the key), its type and optional short letter. */
export interface FlagSpec {
  /** `string` takes a value; `boolean` is a switch. */
  type: "string" | "boolean";
  /** Short form letter. */
  short?: string;
}

/** A tool's flags by long name. */
export type FlagSpecs = Record<string, FlagSpec>;

/** Parsed values: strings for value flags, booleans for switches. */
export type FlagValues<S extends FlagSpecs> = {
  [K in keyof S]?: S[K]["type"] extends "string" ? string : boolean;
};

/** The help flag, shared by every tool. */
export const HELP_FLAG = { help: { type: "boolean", short: "h" } } as const satisfies FlagSpecs;

/**
 * Parses `args` strictly, as getopts and long options do: a value flag takes
 * the next argument whatever it looks like (`-c -la` sends `-la`), or an
 * inline value (`-c-la`, `--command=-la`); short switches may be grouped
 * (`-vl`). Written here rather than with `node:util` `parseArgs` because
 * importing any `node:` module costs a tool ~5 ms of start-up in Deno 2.9
 * (bench/README.md); tests/cli_test.ts holds it to parseArgs' results.
 *
 * @throws {UnknownOptionError} an unknown option, or a stray argument.
 * @throws {UsageError} a missing value, or a value given to a switch.
 */
export function parseFlags<S extends FlagSpecs>(args: readonly string[], specs: S): FlagValues<S> {
  const byShort = new Map<string, string>();
  for (const [long, spec] of Object.entries(specs)) if (spec.short) byShort.set(spec.short, long);
  const label = (long: string) => `${specs[long].short ? `-${specs[long].short}, ` : ""}--${long}`;
  const values: Record<string, string | boolean> = {};
  let endOfOptions = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (endOfOptions || arg === "-" || !arg.startsWith("-")) {
      throw new UnknownOptionError(arg, true);
    }
    if (arg === "--") {
      endOfOptions = true;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const long = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (!Object.hasOwn(specs, long)) throw new UnknownOptionError(`--${long}`);
      if (specs[long].type === "boolean") {
        if (eq !== -1) throw new UsageError(`Option --${long} does not take a value`);
        values[long] = true;
      } else if (eq !== -1) {
        values[long] = arg.slice(eq + 1);
      } else if (i + 1 < args.length) {
        values[long] = args[++i];
      } else {
        throw new UsageError(`Option ${label(long)} requires a value`);
      }
    } else {
      for (let j = 1; j < arg.length; j++) {
        const long = byShort.get(arg[j]);
        if (long === undefined) throw new UnknownOptionError(`-${arg[j]}`);
        if (specs[long].type === "boolean") {
          values[long] = true;
          continue;
        }
        if (j + 1 < arg.length) values[long] = arg.slice(j + 1);
        else if (i + 1 < args.length) values[long] = args[++i];
        else throw new UsageError(`Option ${label(long)} requires a value`);
        break;
      }
    }
  }
  return values as FlagValues<S>;
}

/** `--long` and `-s` of every value flag, to the flag's long name. */
function valueFlagNames(specs: FlagSpecs): Map<string, string> {
  const valueFlags = new Map<string, string>();
  for (const [long, spec] of Object.entries(specs)) {
    if (spec.type !== "string") continue;
    valueFlags.set(`--${long}`, long);
    if (spec.short) valueFlags.set(`-${spec.short}`, long);
  }
  return valueFlags;
}

/**
 * Splits `args` at the first `--` that is not a flag's value: the flags
 * before it, and the arguments after it (`run -s NAME -- make test`).
 */
export function splitAtDoubleDash(
  args: readonly string[],
  specs: FlagSpecs,
): { flags: string[]; rest: string[] } {
  const valueFlags = valueFlagNames(specs);
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return { flags: args.slice(0, i), rest: args.slice(i + 1) };
    if (valueFlags.has(args[i])) i++;
  }
  return { flags: [...args], rest: [] };
}

/**
 * Whether `--NAME` is among the flags of `args` (before a `--`, not as a
 * value flag's value), without parsing them strictly.
 */
export function hasFlag(args: readonly string[], specs: FlagSpecs, name: string): boolean {
  const valueFlags = valueFlagNames(specs);
  const { flags } = splitAtDoubleDash(args, specs);
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] === `--${name}`) return true;
    if (valueFlags.has(flags[i])) i++;
  }
  return false;
}

/** A typed error class and the exit code a tool gives it. */
export type ExitRule = readonly [new (...args: never[]) => Error, number];

/** A tool's definition for {@link runTool}. */
export interface ToolDefinition<S extends FlagSpecs> {
  /** Usage text, printed by `-h/--help` (starts with `Usage:`). */
  usage: string;
  /** The tool's flags (help is added). */
  flags: S;
  /** Exit code of argument errors. */
  usageExit: number;
  /** Error class to exit code, first match wins; others exit with `usageExit`. */
  exits?: readonly ExitRule[];
  /** With no arguments at all, print usage to stdout and exit with this code. */
  noArgsExit?: number;
  /** Formats an error for stderr (default: {@link plainUsageErrors}, else `Error: MESSAGE`). */
  formatError?: (error: Error) => string | undefined;
  /**
   * The tool's own argument errors are printed as worded, with no `Error:`
   * added (the original's words carry `Error:` where they had it); errors
   * from the core (an invalid pattern, a look-up) still get it.
   */
  plainUsageErrors?: boolean;
  /** Accept arguments after `--`; they are passed to `main` as `rest`. */
  rest?: boolean;
  /**
   * A drop-in of a bash tool: as the original did, any argument it does not
   * take is an `Unknown option: X`, and after that error (and after a
   * {@link MissingArgumentError}) the usage is printed on stdout too.
   */
  bashUsage?: boolean;
  /**
   * A boolean flag (`json`) that, when given, makes errors also print
   * `{"error", "exit_code"}` on stdout (found even when the arguments
   * can't be parsed).
   */
  jsonErrorsFlag?: string;
  /** The tool's work; returns the exit code. */
  main: (flags: FlagValues<S>, rest: string[]) => Promise<number>;
}

let toolArgs: readonly string[] | undefined;

/**
 * Makes {@link runTool} parse `args` instead of `Deno.args`: for an entry
 * point that runs one of several tools (tools/ctmux.ts: `ctmux TOOL ARGS...`).
 */
export function useToolArgs(args: readonly string[]): void {
  toolArgs = args;
}

/** Parses flags, handles help, runs the tool, maps errors to exit codes, and exits. */
export async function runTool<S extends FlagSpecs>(tool: ToolDefinition<S>): Promise<never> {
  const args = toolArgs ?? Deno.args;
  if (args.length === 0 && tool.noArgsExit !== undefined) {
    console.log(tool.usage);
    Deno.exit(tool.noArgsExit);
  }
  let code: number;
  try {
    const specs = { ...tool.flags, ...HELP_FLAG };
    const split = tool.rest ? splitAtDoubleDash(args, specs) : { flags: args, rest: [] };
    const flags = parseFlags(split.flags, specs);
    if (flags.help) {
      console.log(tool.usage);
      Deno.exit(0);
    }
    code = await tool.main(flags as FlagValues<S>, split.rest);
  } catch (error) {
    let err = error instanceof Error ? error : new Error(String(error));
    const bashUsage = tool.bashUsage &&
      (err instanceof UnknownOptionError || err instanceof MissingArgumentError);
    if (bashUsage && err instanceof UnknownOptionError) err = new UnknownOptionError(err.option);
    const plain = tool.plainUsageErrors && err instanceof UsageError &&
      !(err instanceof InvalidPatternError);
    const text = tool.formatError?.(err) ?? (plain ? err.message : errorLine(err));
    console.error(text);
    if (bashUsage) console.log(tool.usage);
    code = exitCodeFor(err, tool);
    if (tool.jsonErrorsFlag !== undefined && hasFlag(args, tool.flags, tool.jsonErrorsFlag)) {
      printJson({ error: text.replace(/^Error: /, ""), exit_code: code });
    }
  }
  Deno.exit(code);
}

/**
 * What a command-line user can do about an error, after the core's message:
 * the library says what is wrong, the tools also say which flag or tool helps.
 */
function hint(error: Error): string {
  if (error instanceof AmbiguousSessionError) return ", please specify session name with -s";
  if (error instanceof InvalidEntryError) return " (fix it, or remove it with cleanup-sessions.sh)";
  return "";
}

/**
 * `Error: MESSAGE` on one line (messages that already say `Error:` keep it),
 * with the command-line hint of errors that have one. The MCP server's tool
 * errors use the same line.
 */
export function errorLine(error: Error): string {
  const message = error instanceof TmuxToolError || error instanceof TypeError ||
      error instanceof RangeError
    ? error.message
    : `${error.name}: ${error.message}`;
  const line = `${message.replace(/\s*\n\s*/g, " ").trim()}${hint(error)}`;
  return line.startsWith("Error") ? line : `Error: ${line}`;
}

function exitCodeFor<S extends FlagSpecs>(error: Error, tool: ToolDefinition<S>): number {
  if (error instanceof UsageError) return tool.usageExit;
  for (const [type, code] of tool.exits ?? []) {
    if (error instanceof type) return code;
  }
  return tool.usageExit;
}

/** UTF-16 code units written at a time by {@link printText}. */
const PRINT_CHUNK = 1 << 18;

/**
 * Prints `text` and a line break on stdout, as `console.log` would, a piece
 * at a time: a run's million lines are never copied whole once more (as
 * UTF-8) on their way out. A reader that closed the pipe ends the printing
 * quietly (as `head` expects).
 */
export function printText(text: string): void {
  const encoder = new TextEncoder();
  const write = (bytes: Uint8Array) => {
    for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
  };
  try {
    for (let i = 0; i < text.length;) {
      let end = Math.min(text.length, i + PRINT_CHUNK);
      // Never split a surrogate pair between two pieces.
      if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1])) end--;
      write(encoder.encode(text.slice(i, end)));
      i = end;
    }
    write(encoder.encode("\n"));
  } catch (error) {
    if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
  }
}

/** Prints a value as 2-space pretty JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * Pads with spaces to `width` bytes of UTF-8, as bash's `printf %-20s`
 * counts (bytes, in every locale: bash 5.2 pads `é` to 20 with 18 spaces),
 * so a table lines up as the original's did.
 */
export function pad(text: string, width: number): string {
  const bytes = utf8Length(text);
  return bytes >= width ? text : text + " ".repeat(width - bytes);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/**
 * The first `width` code points of `text`: what bash's `${name:0:20}` keeps
 * in a UTF-8 locale (in the C locale it would cut bytes, splitting a
 * character; a table never shows a broken character).
 */
export function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width).join("");
}

/**
 * The most seconds a seconds flag takes: a JS timer holds at most 2^31 - 1 ms
 * (about 24.8 days); Deno fires a longer one at once.
 */
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** The most lines a line-count flag takes: tmux reads `capture-pane -S -N` as an int. */
export const MAX_LINES = 2 ** 31 - 1;

/** Options of {@link parseNumber}. */
export interface NumberOptions {
  /** Whole numbers only. */
  integer?: boolean;
  /** The least value (default 0). */
  min?: number;
  /** The greatest value (default `Number.MAX_SAFE_INTEGER`). */
  max?: number;
  /** The unit, for the message about `max` (`seconds`). */
  unit?: string;
  /** What a bad value is told (the original tool's words). */
  message: string;
}

/**
 * Parses a number flag.
 *
 * @throws {UsageError} with `message` when the text is not a number matching
 * `integer`/`min`; with `message (at most MAX UNIT)` when it is greater than `max`.
 */
export function parseNumber(text: string, options: NumberOptions): number {
  const pattern = options.integer ? /^\d+$/ : /^(\d+(\.\d*)?|\.\d+)$/;
  const value = Number(text);
  if (!pattern.test(text.trim()) || !Number.isFinite(value) || value < (options.min ?? 0)) {
    throw new UsageError(options.message);
  }
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (value > max) {
    throw new UsageError(
      `${options.message} (at most ${max}${options.unit ? ` ${options.unit}` : ""})`,
    );
  }
  return value;
}
