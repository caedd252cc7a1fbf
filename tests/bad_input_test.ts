/**
 * Bad input, over every tool: malformed arguments (missing values, unknown
 * options, bad and negative numbers, empty, huge, newline, quote, `$()`,
 * backtick and unicode names and patterns) and an unusable registry each
 * give the documented exit code, one line on stderr, no stack trace, and
 * leave the registry byte for byte as it was. Nothing is run by a shell.
 */
import { LOOKUP_EXIT, USAGE_EXIT } from "./fixtures/exit_codes.ts";
import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { join } from "node:path";
import { TOOL_ACCESS, TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import {
  assertCleanFailure,
  figure,
  type GuardedResult,
  pooled,
  runGuarded,
} from "./fixtures/guarded_run.ts";
import { Sandbox, testEntry } from "./helpers.ts";

/** One malformed call: its arguments, the documented code, what stderr says. */
interface Case {
  what: string;
  args: string[];
  code: number;
  stderr?: RegExp;
  /** Lines on stderr (default 1). */
  lines?: number;
  /** The tool's usage follows on stdout, as the original printed it (default: stdout empty). */
  usage?: boolean;
}

/** The eight drop-in tools: they report argument errors in their bash originals' words. */
const DROP_IN = new Set<ToolName>(
  TOOL_NAMES.filter((tool) => tool !== "capture-pane" && tool !== "run"),
);

/** Names and patterns that a shell would act on, and other awkward text. */
function awkward(marker: string): Record<string, string> {
  return {
    "newline": "two\nlines",
    "quotes": `it's "quoted"`,
    "$()": `$(touch ${marker}-subst)`,
    "backtick": `\`touch ${marker}-backtick\``,
    "semicolon": `x; touch ${marker}-semi`,
    "unicode": "ünïcødé-😀-\u202eevil",
    "huge": "h".repeat(100_000),
  };
}

const bad = (tool: ToolName, what: string, args: string[], stderr?: RegExp): Case => ({
  what,
  args,
  code: USAGE_EXIT[tool],
  stderr,
});

const unknown = (tool: ToolName, what: string, args: string[]): Case => ({
  what,
  args,
  code: LOOKUP_EXIT[tool],
  stderr: /not found in registry/,
});

/** Cases every tool gets. */
function commonCases(tool: ToolName): Case[] {
  // The originals said `Unknown option: X` for any argument they did not take, then the usage.
  const usage = DROP_IN.has(tool);
  const unknownOption = (what: string, args: string[], stderr: RegExp): Case => ({
    ...bad(tool, what, args, stderr),
    usage,
  });
  return [
    unknownOption("unknown long option", ["--bogus"], /Unknown option: --bogus/),
    unknownOption("unknown short option", ["-Z"], /Unknown option: -Z/),
    unknownOption(
      "stray argument",
      ["stray"],
      usage ? /^(Error: )?Unknown option: stray\n$/ : /^Error: Unexpected argument: stray\n$/,
    ),
    unknownOption("unknown option with a newline", ["--bo\ngus"], /Unknown option: --bo gus/),
    unknownOption("huge unknown option", [`--${"o".repeat(100_000)}`], /Unknown option/),
    bad(tool, "a switch given a value", ["--help=yes"], /does not take a value/),
  ];
}

/** Each tool's own malformed calls (a tool added to TOOL_NAMES must be added here). */
function toolCases(tool: ToolName, marker: string): Case[] {
  const odd = awkward(marker);
  const names = (flag: string, tail: string[] = []) =>
    Object.entries(odd).map(([label, name]) =>
      unknown(tool, `${label} name`, [flag, name, ...tail])
    );
  switch (tool) {
    case "create-session":
      return [
        bad(tool, "-n without value", ["-n"], /-n, --name requires a value/),
        {
          ...bad(tool, "no -n", ["--shell"], /Session name is required \(use -n <name>\)/),
          usage: true,
        },
        { ...bad(tool, "empty name", ["-n", ""], /Session name is required/), usage: true },
        bad(tool, "name with '.'", ["-n", "a.b"], /tmux would rename/),
        bad(tool, "name with ':'", ["-n", "a:b"], /tmux would rename/),
        bad(tool, "name with a newline", ["-n", odd.newline], /control characters/),
        bad(tool, "two kinds", ["-n", "x", "--shell", "--python"], /only one of/),
        bad(tool, "empty -S", ["-n", "x", "-S", ""], /-S requires a socket path/),
        // tmux itself refuses a name this long: documented "tmux failed to create" (3).
        { what: "huge name", args: ["-n", odd.huge], code: 3, stderr: /command too long/ },
      ];
    case "list-sessions":
      return [bad(tool, "--json given a value", ["--json=1"], /does not take a value/)];
    case "pane-health":
      return [
        bad(tool, "-s without value", ["-s"], /requires a value/),
        bad(tool, "bad --format", ["--format", "xml"], /^format must be 'json' or 'text'\n$/),
        bad(tool, "empty --format", ["--format", ""], /^format must be 'json' or 'text'\n$/),
        { ...bad(tool, "-S without -t", ["-S", "/x.sock"], /^target is required\n$/), usage: true },
        unknown(tool, "empty name", ["-s", ""]),
        ...names("-s"),
      ];
    case "kill-session":
      return [
        bad(tool, "-s without value", ["-s"], /requires a value/),
        bad(tool, "empty -s", ["-s", ""], /-s requires a session name/),
        bad(tool, "empty -t", ["-S", "/x.sock", "-t", ""], /-s requires a session name/),
        bad(tool, "-S without -t", ["-S", "/x.sock"], /Both -S and -t must be specified together/),
        bad(tool, "-t without -S", ["-t", "x"], /Both -S and -t must be specified together/),
        bad(tool, "--dry-run given a value", ["--dry-run=1"], /does not take a value/),
        ...names("-s"),
      ];
    case "cleanup-sessions": {
      const duration = (what: string, value: string): Case => ({
        what,
        args: ["--older-than", value],
        code: 1,
        lines: 2,
        stderr: /^Error: Invalid duration format: .*\nUse format like: 30m, 2h, 1d\n$/,
      });
      return [
        bad(tool, "--older-than without value", ["--older-than"], /requires a value/),
        duration("negative duration", "-1h"),
        duration("decimal duration", "1.5h"),
        duration("unknown unit", "3w"),
        duration("empty duration", ""),
        duration("duration with a newline", "1\nh"),
        duration("$() duration", `$(touch ${marker}-dur)`),
        duration("huge duration", odd.huge),
      ];
    }
    case "find-sessions": {
      const noServer = (what: string, args: string[]): Case => ({
        what,
        args,
        code: 1,
        stderr: /^No tmux server found on socket (name|path) '[^\n]*'\n$/,
      });
      return [
        bad(tool, "-L without value", ["-L"], /requires a value/),
        bad(tool, "-q without value", ["-q"], /requires a value/),
        bad(tool, "-A with -L", ["-A", "-L", "x"], /Cannot combine --all with -L or -S/),
        bad(tool, "-L with -S", ["-L", "x", "-S", "/x.sock"], /Use either -L or -S, not both/),
        noServer("newline socket name", ["-L", odd.newline]),
        noServer("$() socket name", ["-L", odd["$()"]]),
        noServer("backtick socket path", ["-S", join("/nonexistent", odd.backtick)]),
        noServer("unicode socket name", ["-L", odd.unicode]),
      ];
    }
    case "safe-send":
      return [
        { ...bad(tool, "no -c", ["-t", "x"], /command is required/), usage: true },
        bad(tool, "-c without value", ["-t", "x", "-c"], /requires a value/),
        bad(tool, "text timeout", ["-t", "x", "-c", "y", "-T", "abc"], /timeout must be/),
        bad(tool, "negative timeout", ["-t", "x", "-c", "y", "-T", "-1"], /timeout must be/),
        bad(tool, "zero retries", ["-t", "x", "-c", "y", "-r", "0"], /retries must be/),
        bad(tool, "decimal retries", ["-t", "x", "-c", "y", "-r", "1.5"], /retries must be/),
        bad(tool, "negative retries", ["-t", "x", "-c", "y", "-r", "-2"], /retries must be/),
        bad(tool, "huge retries text", ["-t", "x", "-c", "y", "-r", odd.huge], /retries must be/),
        bad(tool, "text interval", ["-t", "x", "-c", "y", "-i", "x"], /interval must be/),
        bad(tool, "negative interval", ["-t", "x", "-c", "y", "-i", "-0.5"], /interval must be/),
        bad(tool, "-S with -L", ["-S", "/a", "-L", "b", "-t", "x", "-c", "y"], /both -S and -L/),
        bad(tool, "-l with -m", ["-t", "x", "-l", "-m", "-c", "y"], /mutually exclusive/),
        { ...bad(tool, "empty target", ["-t", "", "-c", "y"], /target is required/), usage: true },
        {
          ...bad(tool, "-S without -t", ["-S", "/x.sock", "-c", "y"], /target is required/),
          usage: true,
        },
        bad(tool, "invalid -w regex", ["-t", "x", "-c", "y", "-w", "("], /Invalid regex pattern/),
        bad(tool, "bad class in -w", ["-t", "x", "-c", "y", "-w", "[[:nope:]]"], /Invalid regex/),
        bad(tool, "-w regex with a newline", ["-t", "x", "-c", "y", "-w", "a\n("], /Invalid regex/),
        bad(tool, "unknown key name", ["-t", "x", "--keys", "Space Spcae"], /Unknown key name/),
        bad(tool, "empty --keys", ["-t", "x", "--keys", " "], /keys are required/),
        bad(tool, "--keys with -c", ["-t", "x", "--keys", "q", "-c", "y"], /--keys replaces/),
        bad(
          tool,
          "invalid --fail regex",
          ["-t", "x", "-c", "y", "-w", "a", "--fail", "("],
          /regex/,
        ),
        bad(tool, "--fail alone", ["-t", "x", "-c", "y", "--fail", "e"], /--fail needs/),
        bad(tool, "text idle", ["-t", "x", "-c", "y", "--idle", "soon"], /idle must be/),
        ...names("-s", ["-c", `$(touch ${marker}-cmd)`]),
      ];
    case "wait-for-text":
      return [
        { ...bad(tool, "no -p", ["-t", "x"], /target and pattern are required/), usage: true },
        bad(tool, "-p without value", ["-t", "x", "-p"], /requires a value/),
        {
          ...bad(tool, "empty pattern", ["-t", "x", "-p", ""], /target and pattern are required/),
          usage: true,
        },
        bad(tool, "text timeout", ["-t", "x", "-p", "y", "-T", "1.5s"], /timeout must be a number/),
        bad(
          tool,
          "negative timeout",
          ["-t", "x", "-p", "y", "-T", "-1"],
          /timeout must be a number/,
        ),
        bad(tool, "text idle", ["-t", "x", "--idle", "later"], /idle must be a number/),
        bad(tool, "text tail", ["-t", "x", "-p", "y", "--tail", "all"], /tail must be an integer/),
        bad(tool, "text lines", ["-t", "x", "-p", "y", "-l", "abc"], /lines must be an integer/),
        bad(tool, "negative lines", ["-t", "x", "-p", "y", "-l", "-5"], /lines must be an integer/),
        bad(tool, "text interval", ["-t", "x", "-p", "y", "-i", "abc"], /interval must be/),
        {
          ...bad(tool, "-S without -t", ["-S", "/x.sock", "-p", "y"], /target and pattern/),
          usage: true,
        },
        bad(tool, "invalid regex", ["-t", "x", "-p", "("], /Invalid regex pattern: \(/),
        bad(tool, "reversed range", ["-t", "x", "-p", "[z-a]"], /Invalid regex pattern/),
        bad(tool, "regex with a newline", ["-t", "x", "-p", "a\n("], /Invalid regex pattern: a \(/),
        bad(tool, "huge invalid regex", ["-t", "x", "-p", `(${odd.huge}`], /Invalid regex/),
        ...names("-s", ["-p", odd["$()"]]),
      ];
    case "capture-pane":
      return [
        bad(tool, "-n without value", ["-t", "x", "-n"], /requires a value/),
        bad(tool, "zero lines", ["-t", "x", "-n", "0"], /lines must be a positive integer/),
        bad(tool, "negative lines", ["-t", "x", "-n", "-5"], /lines must be a positive integer/),
        bad(tool, "decimal lines", ["-t", "x", "-n", "1.5"], /lines must be a positive integer/),
        bad(tool, "-a with -n", ["-t", "x", "-a", "-n", "5"], /either -n or -a/),
        bad(tool, "-S without -t", ["-S", "/x.sock"], /requires -t/),
        bad(tool, "empty target", ["-t", ""], /target must not be empty/),
        ...names("-s"),
      ];
    case "run":
      return [
        bad(tool, "no command", ["-t", "x"], /command is required/),
        bad(tool, "empty command", ["-t", "x", "-c", ""], /command is required/),
        bad(tool, "-c and --", ["-t", "x", "-c", "a", "--", "b"], /either with -c or after --/),
        bad(tool, "text timeout", ["-t", "x", "-c", "y", "-T", "abc"], /timeout must be/),
        bad(tool, "negative timeout", ["-t", "x", "-c", "y", "-T", "-1"], /timeout must be/),
        bad(tool, "-S without -t", ["-S", "/x.sock", "-c", "y"], /requires -t/),
        bad(tool, "empty target", ["-t", "", "-c", "y"], /target must not be empty/),
        ...names("-s", ["-c", `touch ${marker}-run`]),
      ];
  }
}

// ---------------------------------------------------------------------------
// Numbers a tool can't honour (issue 12, item 11): each numeric flag of each tool.

/**
 * Numbers past what a flag can mean: a timer longer than 2^31 - 1 ms fired
 * at once (`-T 9999999999` timed out at once; `-T 99999999999999999999`
 * crashed in `AbortSignal.timeout`), tmux reads a line count past 2^31 - 1
 * as "the screen" (`capture-pane -n 99999999999` silently printed only the
 * screen), a count past 2^53 is not even held exactly. Each is one clear
 * line and the tool's argument-error code.
 */
function numberCases(tool: ToolName): Case[] {
  const huge = "99999999999999999999";
  const tooBig = (flag: string, value: string, message: RegExp, before: string[]): Case =>
    bad(tool, `${flag} ${value}`, [...before, flag, value], message);
  const seconds = (flag: string, name: string, before: string[]) => [
    tooBig(
      flag,
      huge,
      new RegExp(`^(Error: )?${name} must be .*\\(at most 2147483 seconds\\)\n$`),
      before,
    ),
    tooBig(flag, "2147484", new RegExp(`\\(at most 2147483 seconds\\)`), before),
    tooBig(flag, "1e400", new RegExp(`^(Error: )?${name} must be [^(]*\n$`), before),
  ];
  switch (tool) {
    case "safe-send": {
      const before = ["-t", "x", "-c", "y"];
      return [
        ...seconds("-T", "timeout", before),
        ...seconds("-i", "interval", before),
        tooBig("-r", huge, /^retries must be .*\(at most 9007199254740991\)\n$/, before),
      ];
    }
    case "wait-for-text": {
      const before = ["-t", "x", "-p", "y"];
      return [
        ...seconds("-T", "timeout", before),
        ...seconds("-i", "interval", before),
        tooBig("-l", "99999999999", /^lines must be an integer \(at most 2147483647\)\n$/, before),
        tooBig("-l", huge, /^lines must be an integer \(at most 2147483647\)\n$/, before),
      ];
    }
    case "run":
      return seconds("-T", "timeout", ["-t", "x", "-c", "y"]);
    case "capture-pane":
      return [
        tooBig("-n", "99999999999", /^Error: lines must be .*\(at most 2147483647\)\n$/, [
          "-t",
          "x",
        ]),
        tooBig("-n", huge, /^Error: lines must be .*\(at most 2147483647\)\n$/, ["-t", "x"]),
      ];
    case "cleanup-sessions":
      // Past 2^53 seconds (bash's 64-bit arithmetic wrapped), and octal 8 or 9 (bash: an error).
      return ["99999999999999999999d", "104249991375d", "08h", "019m"].map((value) => ({
        what: `--older-than ${value}`,
        args: ["--older-than", value],
        code: 1,
        lines: 2,
        stderr: new RegExp(
          `^Error: Invalid duration format: ${value}\nUse format like: 30m, 2h, 1d\n$`,
        ),
      }));
    default:
      return []; // no numeric flag
  }
}

/** Each tool's `--help` text. */
async function usageOf(box: Sandbox): Promise<Record<ToolName, string>> {
  const helps = await Promise.all(TOOL_NAMES.map((tool) => box.run(tool, ["--help"])));
  return Object.fromEntries(TOOL_NAMES.map((tool, i) => [tool, helps[i].stdout])) as Record<
    ToolName,
    string
  >;
}

async function markersIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.startsWith("marker")) found.push(e.name);
  return found;
}

Deno.test("malformed arguments: documented code, one stderr line, registry unchanged", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket("live.sock");
  await box.newSession(sock, "one");
  await box.newSession(sock, "two");
  const entry = (name: string) => testEntry(sock, `${name}:0.0`);
  // Two sessions: auto-detection would stop with "several"; nothing here may get that far.
  await box.writeSessions({ one: entry("one"), two: entry("two") });
  const before = await Deno.readFile(box.registryFile);
  const marker = join(box.root, "marker");

  const cases = TOOL_NAMES.flatMap((tool) =>
    [...commonCases(tool), ...toolCases(tool, marker), ...numberCases(tool)].map((c) => ({
      tool,
      ...c,
    }))
  );
  const usages = await usageOf(box);
  const results: GuardedResult[] = await pooled(
    4,
    cases.map(({ tool, args }) => () => runGuarded(box, tool, args, { guardMs: 20_000 })),
  );
  cases.forEach(({ tool, what, code, stderr, lines, usage }, i) => {
    const label = `${tool}: ${what}`;
    assertCleanFailure(results[i], { code, stderr, lines, emptyStdout: !usage }, label);
    if (usage) equal(results[i].stdout, usages[tool], `${label}: the usage on stdout`);
  });
  assertEquals(
    await Deno.readFile(box.registryFile),
    before,
    "the registry is byte for byte the same",
  );
  assertEquals(await markersIn(box.root), [], "no name, pattern or command ran in a shell");
  figure(`bad input: ${cases.length} malformed calls over ${TOOL_NAMES.length} tools, all clean`);
  const sessions = (await box.tmux(sock, "list-sessions", "-F", "#{session_name}")).trim();
  assertEquals(sessions.split("\n"), ["one", "two"], "no session was made or killed");
  const server = await box.tmuxRaw(box.defaultSocket, "list-sessions");
  equal(server.code, 1, `no session on the default socket: ${server.stdout}`);
});

/** Arguments that make each registry tool look the registry up (`null`: it never reads it). */
const LOOKUP_ARGS: Record<ToolName, string[] | null> = {
  "create-session": ["-n", "fresh"],
  "list-sessions": [],
  "pane-health": [],
  "kill-session": [],
  "cleanup-sessions": [],
  "find-sessions": null,
  "safe-send": ["-c", "echo hi"],
  "wait-for-text": ["-p", "x"],
  "capture-pane": [],
  "run": ["-c", "echo hi"],
};

Deno.test("an unusable registry: every tool names the file, changes nothing", async (t) => {
  const contents: [string, string, RegExp][] = [
    ["not JSON", '{"sessions": {"a": ', /not valid JSON/],
    ["wrong version", '{"sessions": {}, "version": "2.0"}\n', /'version' is "2\.0", not "1\.0"/],
    [
      "sessions not an object",
      '{"sessions": ["a"], "version": "1.0"}\n',
      /'sessions' is not an object/,
    ],
  ];
  for (const [label, text, problem] of contents) {
    await t.step(label, async () => {
      await using box = await Sandbox.create();
      await box.writeRegistry(text);
      const before = await Deno.readFile(box.registryFile);
      const tools = TOOL_NAMES.filter((tool) => LOOKUP_ARGS[tool] !== null);
      equal(tools.length, TOOL_NAMES.filter((tool) => TOOL_ACCESS[tool].registry).length);
      const results = await pooled(
        4,
        tools.map((tool) => () => runGuarded(box, tool, LOOKUP_ARGS[tool]!, { guardMs: 20_000 })),
      );
      const file = box.registryFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      tools.forEach((tool, i) => {
        assertCleanFailure(results[i], {
          code: LOOKUP_EXIT[tool],
          stderr: new RegExp(
            `^Error: Registry ${file} is unusable: ${problem.source} \\(left unchanged\\)\n$`,
          ),
        }, tool);
      });
      assertEquals(await Deno.readFile(box.registryFile), before);
      equal(
        await Deno.stat(box.defaultSocket).then(() => true, () => false),
        false,
        "no session made",
      );
    });
  }
});

// Registry and environment faults (issue 12, item 11): each is one clear line with the
// documented code, and the registry is left as it was.

/** A fault of the environment or of the registry's location, met by one tool call. */
interface FaultCase {
  what: string;
  tool: ToolName;
  args: string[];
  code: number;
  stderr: RegExp;
}

Deno.test("registry and environment faults: one clear line, the documented code", async (t) => {
  const registryTools = TOOL_NAMES.filter((tool) => LOOKUP_ARGS[tool] !== null);

  for (const value of ["-1", "abc"]) {
    await t.step(`LOCK_TIMEOUT=${value}: every registry tool's argument-error code`, async () => {
      await using box = await Sandbox.create();
      await box.writeSessions({ one: testEntry(box.socket("gone.sock"), "one:0.0") });
      const before = await Deno.readFile(box.registryFile);
      const cases: FaultCase[] = registryTools.map((tool) => ({
        what: `LOCK_TIMEOUT=${value}`,
        tool,
        args: LOOKUP_ARGS[tool]!,
        code: USAGE_EXIT[tool],
        stderr: new RegExp(
          `^(Error: )?LOCK_TIMEOUT must be a number of seconds, 0 or more \\(got "${value}"\\)\n$`,
        ),
      }));
      const results = await pooled(
        4,
        cases.map(({ tool, args }) => () =>
          runGuarded(box, tool, args, { env: { LOCK_TIMEOUT: value }, guardMs: 20_000 })
        ),
      );
      cases.forEach((c, i) => assertCleanFailure(results[i], c, `${c.tool}: ${c.what}`));
      assertEquals(await Deno.readFile(box.registryFile), before);
    });
  }

  await t.step("a dangling symlink at .sessions.lock: writers say so, exit 1", async () => {
    await using box = await Sandbox.create();
    await box.writeSessions({ one: testEntry(box.socket("gone.sock"), "one:0.0") });
    const lock = join(box.socketDir, ".sessions.lock");
    await Deno.symlink(join(box.root, "no-such-folder", "lock"), lock);
    const before = await Deno.readFile(box.registryFile);
    const problem = new RegExp(
      `^Error: Cannot write registry lock ${lock}: it is a symlink to .*no-such-folder/lock, ` +
        `which can't be created \\(its folder is missing\\)\n$`,
    );
    const cases: FaultCase[] = [
      { what: "create", tool: "create-session", args: ["-n", "fresh"], code: 1, stderr: problem },
      { what: "cleanup", tool: "cleanup-sessions", args: [], code: 1, stderr: problem },
    ];
    for (const c of cases) assertCleanFailure(await runGuarded(box, c.tool, c.args), c, c.what);
    assertEquals(await Deno.readFile(box.registryFile), before);
    equal((await box.tmuxRaw(box.defaultSocket, "has-session", "-t", "=fresh")).code, 1);
  });

  await t.step("create-session -S in a missing folder: tmux failed (3), saying why", async () => {
    await using box = await Sandbox.create();
    const socket = join(box.root, "missing-folder", "x.sock");
    const r = await runGuarded(box, "create-session", ["-n", "x", "-S", socket]);
    assertCleanFailure(r, {
      code: 3,
      stderr: new RegExp(
        `^Error: Failed to create tmux session 'x': tmux new-session failed: the socket's folder ${
          join(box.root, "missing-folder")
        } ` +
          "does not exist\n$",
      ),
    });
    equal(await Deno.stat(box.registryFile).then(() => true, () => false), false, "not registered");
  });
});
