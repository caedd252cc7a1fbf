/**
 * docs/compat.md says what the tools do, wherever a machine can check it:
 * each tool's Flags table is the options its --help prints (short and long
 * form, value name, numeric defaults), each Exit codes table is the codes
 * the tool documents (its --help, or the README where the help lists none)
 * and agrees with tests/fixtures/exit_codes.ts, each synopsis is the tool's
 * `Usage:` lines, each JSON key list is the order the tool prints, and the
 * variables table is lib/env.ts ENV_VARS. A failure names the row to add,
 * change or remove in the doc.
 */
import { deepEqual as assertEquals, fail } from "node:assert/strict";
import { join } from "node:path";
import { ENV_VARS } from "../lib/env.ts";
import { TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import { LOOKUP_EXIT, USAGE_EXIT } from "./fixtures/exit_codes.ts";
import { Sandbox, testEntry, toolScript } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const DOC_NAME = "docs/compat.md";
const DOC = await Deno.readTextFile(join(ROOT, DOC_NAME));
const README = await Deno.readTextFile(join(ROOT, "README.md"));
const decoder = new TextDecoder();

/** Every tool's --help output, by tool. */
const HELP = new Map<ToolName, string>(
  await Promise.all(TOOL_NAMES.map(async (tool) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", toolScript(tool), "--help"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) fail(`${tool} --help exited ${out.code}: ${decoder.decode(out.stderr)}`);
    return [tool, decoder.decode(out.stdout)] as const;
  })),
);

/** Throws one error listing every problem, or does nothing when there are none. */
function report(what: string, problems: string[]): void {
  if (problems.length > 0) fail(`${what}:\n- ${problems.join("\n- ")}`);
}

// ---- the doc ----

/** The text under `## TITLE` of the doc, up to the next `## `. */
function docSection(title: string): string {
  const start = DOC.indexOf(`\n## ${title}\n`);
  if (start < 0) fail(`${DOC_NAME} has no section "## ${title}": add it`);
  const end = DOC.indexOf("\n## ", start + 1);
  return DOC.slice(start, end < 0 ? undefined : end);
}

/** The text under `### TITLE` within `section`, up to the next `### `. */
function subsection(section: string, tool: string, title: string): string {
  const start = section.indexOf(`\n### ${title}\n`);
  if (start < 0) fail(`${DOC_NAME} has no "### ${title}" under "## ${tool}": add it`);
  const end = section.indexOf("\n### ", start + 1);
  return section.slice(start, end < 0 ? undefined : end);
}

/** The body rows of the first Markdown table in `text`, cells trimmed and without backticks. */
function tableRows(text: string): string[][] {
  const lines = text.split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  if (first < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split("|").map((cell) => cell.replaceAll("`", "").trim()));
  }
  return rows;
}

/** One option as the doc's Flags table or a tool's --help gives it. */
interface Flag {
  /** `-n`, or `` when the option has no short form. */
  short: string;
  /** `--name`. */
  long: string;
  /** The value's name (`NAME`), or `` for a switch. */
  value: string;
  /** The doc's default cell, or the number --help gives as the default. */
  default: string;
  /** What it does. */
  meaning: string;
}

/** The Flags table of a tool's section. */
function docFlags(tool: ToolName): Flag[] {
  return tableRows(subsection(docSection(tool), tool, "Flags")).map((cells) => {
    const [short, long, value, dflt, meaning] = cells;
    return { short, long, value, default: dflt, meaning };
  });
}

/** The Exit codes table of a tool's section: code (a number, or `any`) to meaning. */
function docExits(tool: ToolName): Map<string, string> {
  return new Map(
    tableRows(subsection(docSection(tool), tool, "Exit codes")).map(([code, meaning]) =>
      [code, meaning] as const
    ),
  );
}

/** A doc table row for `flag`, ready to paste. */
function flagRow(flag: Flag): string {
  const code = (text: string) => text === "" ? "" : `\`${text}\``;
  return `| ${code(flag.short)} | ${
    code(flag.long)
  } | ${flag.value} | ${flag.default} | ${flag.meaning} |`;
}

// ---- the tools' own words ----

/**
 * The options --help lists under `Options:`, continuation lines joined, and
 * the lines that look like an option but can't be read as one.
 */
function helpFlags(help: string): { flags: Flag[]; unreadable: string[] } {
  const lines = help.split("\n");
  const start = lines.indexOf("Options:");
  const flags: Flag[] = [];
  const unreadable: string[] = [];
  if (start < 0) return { flags, unreadable };
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    // `-- COMMAND ...` is the end of the options, not one (docs/compat.md's synopsis shows it).
    if (/^ {2,6}-- [A-Z]/.test(line)) {
      flags.push({ short: "", long: "--", value: "", default: "", meaning: "" });
      continue;
    }
    const m = /^ {2,6}(?:-(\S), )?(--[A-Za-z][\w-]*)(?: ([A-Z][A-Z_|]*))?(?:\s+(.*))?$/.exec(line);
    if (m) {
      flags.push({
        short: m[1] ? `-${m[1]}` : "",
        long: m[2],
        value: m[3] ?? "",
        default: "",
        meaning: m[4] ?? "",
      });
    } else if (/^ {2,6}-/.test(line) || flags.length === 0) {
      unreadable.push(line.trim());
    } else {
      flags[flags.length - 1].meaning += ` ${line.trim()}`;
    }
  }
  for (const flag of flags) {
    flag.default = /\bdefault:? (\d+(?:\.\d+)?)\b/.exec(flag.meaning)?.[1] ?? "";
  }
  return { flags: flags.filter((flag) => flag.long !== "--"), unreadable };
}

/** The exit codes a paragraph such as `Exit codes: 0 created, 1 ...; 75 ...` names. */
function exitCodesIn(paragraph: string): Map<string, string> {
  let text = paragraph.replace(/\s+/g, " ").replace(/^\s*Exit( codes)?:\s*/, "");
  // Parenthesized details may hold numbers and separators that are not codes.
  while (/\([^()]*\)/.test(text)) text = text.replace(/\s*\([^()]*\)/g, "");
  const codes = new Map<string, string>();
  if (/\bthe command's (exit )?status\b/.test(text)) codes.set("any", "the command's exit status");
  for (const m of text.matchAll(/(?:^|[;,:]\s*)(\d+)\b([^,;.]*)/g)) {
    codes.set(m[1], m[2].trim());
  }
  return codes;
}

/** The paragraph starting with `marker` in `text` (up to the next empty line), if any. */
function paragraph(text: string, marker: string): string | undefined {
  const start = text.indexOf(marker);
  if (start < 0) return undefined;
  const end = text.indexOf("\n\n", start);
  return text.slice(start, end < 0 ? undefined : end);
}

/**
 * The exit codes a tool documents: its --help's `Exit codes:` paragraph, or,
 * for a tool whose help has none, the `Exit:` paragraph of its README section.
 */
function documentedExits(tool: ToolName): { source: string; codes: Map<string, string> } {
  const help = paragraph(HELP.get(tool)!, "\nExit codes:");
  if (help !== undefined) return { source: `${tool} --help`, codes: exitCodesIn(help) };
  const start = README.indexOf(`\n### ${tool}.sh`);
  if (start < 0) fail(`README.md has no section "### ${tool}.sh"`);
  const section = README.slice(start, README.indexOf("\n### ", start + 1));
  const readme = paragraph(section, "\nExit:");
  if (readme === undefined) fail(`neither ${tool} --help nor README.md documents its exit codes`);
  return { source: `README.md's ${tool}.sh section`, codes: exitCodesIn(readme) };
}

/** The synopsis: the `Usage:` line and its continuation lines, trimmed. */
function synopsis(help: string): string[] {
  return help.split("\n\n")[0].split("\n").map((line) => line.replace(/^Usage: /, "").trim());
}

/** Keys of a JSON value in print order, descending into objects and each array's first element. */
function keysInOrder(value: unknown): string[] {
  if (Array.isArray(value)) return value.length > 0 ? keysInOrder(value[0]) : [];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysInOrder(inner)]);
}

/** The quoted keys of the first `{"...}` shape in `text` (`{"a", "b": [{"c"}]}` → a, b, c). */
function shapeKeys(text: string): string[] | undefined {
  const start = text.indexOf('{"');
  if (start < 0) return undefined;
  let depth = 0;
  let end = start;
  do {
    if (text[end] === "{") depth++;
    if (text[end] === "}") depth--;
    end++;
  } while (depth > 0 && end < text.length);
  return [...text.slice(start, end).matchAll(/"(\w+)"/g)].map((m) => m[1]);
}

// ---- the tests ----

Deno.test("docs/compat.md lists exactly the flags each tool's --help prints", () => {
  const problems: string[] = [];
  for (const tool of TOOL_NAMES) {
    const where = `"## ${tool}" → "### Flags"`;
    const doc = new Map(docFlags(tool).map((flag) => [flag.long, flag]));
    const { flags: help, unreadable } = helpFlags(HELP.get(tool)!);
    if (help.length === 0) problems.push(`${tool} --help lists no options under "Options:"`);
    for (const line of unreadable) {
      problems.push(
        `${tool} --help has an option line this test can't read: "${line}" (write it as ` +
          `"  -x, --long VALUE  what it does" or "      --long  what it does")`,
      );
    }
    for (const flag of help) {
      const row = doc.get(flag.long);
      if (row === undefined) {
        problems.push(
          `${tool} --help lists ${flag.long}, which ${DOC_NAME} lacks: add to ${where} ` +
            `the row\n  ${flagRow(flag)}`,
        );
        continue;
      }
      if (row.short !== flag.short || row.value !== flag.value) {
        problems.push(
          `${tool} ${flag.long}: ${DOC_NAME} ${where} says short "${row.short}", value ` +
            `"${row.value}"; --help says short "${flag.short}", value "${flag.value}": change the ` +
            `row to\n  ${flagRow({ ...flag, default: row.default, meaning: row.meaning })}`,
        );
      }
      if (flag.default !== "" && !row.default.split(/[^\d.]+/).includes(flag.default)) {
        problems.push(
          `${tool} ${flag.long}: --help gives the default ${flag.default}, ${DOC_NAME} ${where} ` +
            `says "${row.default}": put ${flag.default} in its default cell`,
        );
      }
    }
    const helpLongs = new Set(help.map((flag) => flag.long));
    for (const long of doc.keys()) {
      if (!helpLongs.has(long)) {
        problems.push(
          `${DOC_NAME} ${where} has ${long}, which ${tool} --help does not list: remove that ` +
            `row (or document the option in the tool's usage)`,
        );
      }
    }
  }
  report(`${DOC_NAME} and the tools' --help disagree on flags`, problems);
});

Deno.test("docs/compat.md lists exactly the exit codes each tool documents", () => {
  const problems: string[] = [];
  for (const tool of TOOL_NAMES) {
    const where = `"## ${tool}" → "### Exit codes"`;
    const doc = docExits(tool);
    const { source, codes } = documentedExits(tool);
    for (const [code, clause] of codes) {
      if (!doc.has(code)) {
        problems.push(
          `${source} documents exit ${code} (${clause || "no words"}), which ${DOC_NAME} lacks: ` +
            `add to ${where} the row\n  | ${code} | ${clause} |`,
        );
      }
    }
    for (const code of doc.keys()) {
      if (!codes.has(code)) {
        problems.push(
          `${DOC_NAME} ${where} has exit ${code}, which ${source} does not document: remove ` +
            `that row (or document the code in the tool's usage)`,
        );
      }
    }
    // The fixture the bad-input tests hold the tools to.
    const usage = String(USAGE_EXIT[tool]);
    if (!doc.get(usage)?.includes("invalid arguments")) {
      problems.push(
        `${tool} exits ${usage} on invalid arguments (tests/fixtures/exit_codes.ts USAGE_EXIT): ` +
          `${DOC_NAME} ${where} must say "invalid arguments" in the row of ${usage}`,
      );
    }
    const lookup = String(LOOKUP_EXIT[tool]);
    if (!doc.has(lookup)) {
      problems.push(
        `${tool} exits ${lookup} on look-up errors (tests/fixtures/exit_codes.ts LOOKUP_EXIT): ` +
          `add a row for ${lookup} to ${DOC_NAME} ${where}`,
      );
    }
  }
  report(`${DOC_NAME} and the tools' documented exit codes disagree`, problems);
});

Deno.test("docs/compat.md shows each tool's synopsis as its --help prints it", () => {
  const problems: string[] = [];
  for (const tool of TOOL_NAMES) {
    const block = /```\n([\s\S]*?)```/.exec(docSection(tool))?.[1] ?? "";
    const shown = block.trimEnd().split("\n").map((line) => line.trim());
    const expected = synopsis(HELP.get(tool)!);
    if (shown.join("\n") !== expected.join("\n")) {
      problems.push(
        `"## ${tool}": replace the first code block with\n\`\`\`\n${expected.join("\n")}\n\`\`\``,
      );
    }
  }
  report(`${DOC_NAME}'s synopses are out of date`, problems);
});

Deno.test("docs/compat.md gives the JSON keys in the order the tools print them", async (t) => {
  const docShape = (tool: ToolName) => shapeKeys(subsection(docSection(tool), tool, "Output"));

  await t.step("create-session, capture-pane and run: as their --help states", () => {
    for (const tool of ["create-session", "capture-pane", "run"] as const) {
      const help = shapeKeys(HELP.get(tool)!);
      assertEquals(
        docShape(tool),
        help,
        `"## ${tool}" → "### Output" must show the keys ${tool} --help shows: ${help?.join(", ")}`,
      );
    }
  });

  await using box = await Sandbox.create();
  const missing = box.socket("no-server.sock");

  await box.writeSessions({ one: testEntry(missing, "one:0.0") });
  // What each tool prints without a tmux server: every key still appears.
  const runs = [
    { tool: "pane-health", args: ["-S", missing, "-t", "x"], code: 4 },
    { tool: "list-sessions", args: ["--json"], code: 0 },
  ] as const;
  for (const { tool, args, code } of runs) {
    await t.step(`${tool}: as it prints them`, async () => {
      const out = await box.run(tool, [...args]);
      assertEquals(out.code, code, out.stderr);
      const printed = keysInOrder(JSON.parse(out.stdout));
      assertEquals(
        docShape(tool),
        printed,
        `"## ${tool}" → "### Output": its JSON keys are ${printed.join(", ")}`,
      );
    });
  }
});

Deno.test("docs/compat.md's variables are exactly the ones the tools read", () => {
  const names = tableRows(docSection("Environment variables")).map(([name]) => name);
  assertEquals(names, [...ENV_VARS], `"## Environment variables" must list ${ENV_VARS.join(", ")}`);
});
