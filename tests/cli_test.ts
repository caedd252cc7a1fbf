import { deepEqual as assertEquals, equal, throws } from "node:assert/strict";
import { parseArgs } from "node:util";
import { errorLine, parseFlags } from "../lib/cli.ts";
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
