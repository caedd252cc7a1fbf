/**
 * CLI conventions shared by every tool: flag parsing (short and long forms,
 * values that start with `-`), `-h/--help`, one-line errors, mapping typed
 * errors to each tool's documented exit codes, and JSON printing. Only the
 * tools call {@link runTool}, which is the one place that exits.
 *
 * @module
 */
import { TmuxToolError, UsageError } from "./errors.ts";

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
 * @throws {UsageError} unknown option, missing value, or a stray argument.
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
      throw new UsageError(`Unexpected argument: ${arg}`);
    }
    if (arg === "--") {
      endOfOptions = true;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const long = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (!Object.hasOwn(specs, long)) throw new UsageError(`Unknown option: --${long}`);
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
        if (long === undefined) throw new UsageError(`Unknown option: -${arg[j]}`);
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
  /** Formats an error for stderr (default `Error: MESSAGE`). */
  formatError?: (error: Error) => string | undefined;
  /** Accept arguments after `--`; they are passed to `main` as `rest`. */
  rest?: boolean;
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
    const err = error instanceof Error ? error : new Error(String(error));
    const text = tool.formatError?.(err) ?? errorLine(err);
    console.error(text);
    code = exitCodeFor(err, tool);
    if (tool.jsonErrorsFlag !== undefined && hasFlag(args, tool.flags, tool.jsonErrorsFlag)) {
      printJson({ error: text.replace(/^Error: /, ""), exit_code: code });
    }
  }
  Deno.exit(code);
}

/** `Error: MESSAGE` on one line (messages that already say `Error:` keep it). */
export function errorLine(error: Error): string {
  const message = error instanceof TmuxToolError || error instanceof TypeError ||
      error instanceof RangeError
    ? error.message
    : `${error.name}: ${error.message}`;
  const line = message.replace(/\s*\n\s*/g, " ").trim();
  return line.startsWith("Error") ? line : `Error: ${line}`;
}

function exitCodeFor<S extends FlagSpecs>(error: Error, tool: ToolDefinition<S>): number {
  if (error instanceof UsageError) return tool.usageExit;
  for (const [type, code] of tool.exits ?? []) {
    if (error instanceof type) return code;
  }
  return tool.usageExit;
}

/** Prints a value as 2-space pretty JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Pads (or cuts) to `width` characters, counting code points. */
export function pad(text: string, width: number): string {
  const chars = [...text];
  return chars.length >= width ? text : text + " ".repeat(width - chars.length);
}

/** The first `width` code points of `text`. */
export function cut(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width).join("");
}

/**
 * Parses a number flag.
 *
 * @throws {UsageError} with `message` when the text is not a number matching `integer`/`min`.
 */
export function parseNumber(
  text: string,
  options: { integer?: boolean; min?: number; message: string },
): number {
  const pattern = options.integer ? /^\d+$/ : /^(\d+(\.\d*)?|\.\d+)$/;
  const value = Number(text);
  if (!pattern.test(text.trim()) || !Number.isFinite(value) || value < (options.min ?? 0)) {
    throw new UsageError(options.message);
  }
  return value;
}
