import { deepEqual as assertEquals, equal, throws } from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  cut,
  errorLine,
  MAX_LINES,
  MAX_SECONDS,
  pad,
  parseFlags,
  parseNumber,
} from "../lib/cli.ts";
import { UsageError } from "../lib/errors.ts";

const SPECS = {
  session: { type: "string", short: "s" },
  command: { type: "string", short: "c" },
  wait: { type: "string", short: "w" },
  format: { type: "string" },
  verbose: { type: "boolean", short: "v" },
  literal: { type: "boolean", short: "l" },
  json: { type: "boolean" },
} as const;

Deno.test("parseFlags agrees with node:util parseArgs wherever parseArgs accepts the input", () => {
  const cases: string[][] = [
    [],
    ["-s", "x"],
    ["--session", "x", "--json"],
    ["--session=a:0.0"],
    ["-vl"],
    ["-vlcecho hi"],
    ["-cfoo", "-v"],
    ["--command", "x y", "-w", ">>>"],
    ["--format", "text", "--format", "json"],
    ["-s", "", "--command="],
    ["--command=a=b"],
  ];
  for (const args of cases) {
    const expected = { ...parseArgs({ args, options: SPECS, strict: true }).values };
    assertEquals({ ...parseFlags(args, SPECS) }, expected, JSON.stringify(args));
  }
});

Deno.test("parseFlags rejects what parseArgs rejects, in one line", () => {
  const cases: [string[], string][] = [
    [["-x"], "Unknown option: -x"],
    [["--nope"], "Unknown option: --nope"],
    [["--nope=1"], "Unknown option: --nope"],
    [["-vx"], "Unknown option: -x"],
    [["-s"], "Option -s, --session requires a value"],
    [["--format"], "Option --format requires a value"],
    [["--json=1"], "Option --json does not take a value"],
    [["stray"], "Unexpected argument: stray"],
    [["-"], "Unexpected argument: -"],
    [["--", "x"], "Unexpected argument: x"],
  ];
  for (const [args, message] of cases) {
    throws(() => parseArgs({ args, options: SPECS, strict: true }), JSON.stringify(args));
    throws(() => parseFlags(args, SPECS), (error: unknown) => {
      equal(error instanceof UsageError, true);
      equal((error as Error).message, message);
      return true;
    });
  }
});

Deno.test("a value flag takes the next argument whatever it looks like, as getopts does", () => {
  assertEquals({ ...parseFlags(["-c", "-la"], SPECS) }, { command: "-la" });
  assertEquals({ ...parseFlags(["-c", "--json", "-v"], SPECS) }, {
    command: "--json",
    verbose: true,
  });
  assertEquals({ ...parseFlags(["-w", "-h"], SPECS) }, { wait: "-h" });
  assertEquals({ ...parseFlags(["--command", "echo hi;"], SPECS) }, { command: "echo hi;" });
});

Deno.test("errorLine prints one line with an Error: prefix", () => {
  equal(errorLine(new UsageError("a\n  b")), "Error: a b");
  equal(errorLine(new UsageError("Error: already")), "Error: already");
  equal(
    errorLine(new Deno.errors.NotCapable("Requires run access")),
    "Error: NotCapable: Requires run access",
  );
});

Deno.test("pad counts UTF-8 bytes as bash's printf %-20s does; cut keeps whole characters", () => {
  equal(pad("abc", 6), "abc   ");
  equal(pad("\u00e9", 6), "\u00e9    "); // 2 bytes
  equal(pad("\u20ac", 6), "\u20ac   "); // 3 bytes
  equal(pad("\u{1F600}", 6), "\u{1F600}  "); // 4 bytes
  equal(pad("\u{1F600}\u{1F600}", 6), "\u{1F600}\u{1F600}");
  equal(cut("\u{1F600}".repeat(25), 20), "\u{1F600}".repeat(20));
  equal(cut("caf\u00e9", 20), "caf\u00e9");
});

Deno.test("parseNumber refuses a number past max in one line with the original's words", () => {
  const seconds = {
    max: MAX_SECONDS,
    unit: "seconds",
    message: "timeout must be a positive number",
  };
  equal(parseNumber("2147483", seconds), 2147483);
  equal(parseNumber("0.5", seconds), 0.5);
  for (const text of ["2147484", "99999999999999999999"]) {
    throws(() => parseNumber(text, seconds), (error: unknown) => {
      equal(error instanceof UsageError, true);
      equal(
        (error as Error).message,
        "timeout must be a positive number (at most 2147483 seconds)",
      );
      return true;
    });
  }
  throws(() => parseNumber("1e400", seconds), /^UsageError: timeout must be a positive number$/);
  // Integers: past 2^53 a count is not even held exactly.
  equal(parseNumber("9007199254740991", { integer: true, message: "m" }), 2 ** 53 - 1);
  throws(() => parseNumber("9007199254740992", { integer: true, message: "m" }), /at most/);
  equal(parseNumber(String(MAX_LINES), { integer: true, max: MAX_LINES, message: "m" }), MAX_LINES);
});
