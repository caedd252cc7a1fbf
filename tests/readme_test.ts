/**
 * The README says only what the code does: its permissions table is
 * lib/permissions.ts's TOOL_ACCESS, its usage lines are the tools' own, its
 * variables are lib/env.ts's ENV_VARS, its quick start is what .ci/run runs,
 * and its library example runs with the permissions it states and prints
 * what its comments say.
 */
import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { ENV_VARS } from "../lib/env.ts";
import { TOOL_ACCESS, TOOL_NAMES } from "../lib/permissions.ts";
import * as lib from "../mod.ts";
import { Sandbox } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const README = await Deno.readTextFile(join(ROOT, "README.md"));

/** The text of a `## TITLE` section. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  equal(start >= 0, true, `README has a section "${title}"`);
  const end = README.indexOf("\n## ", start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** The rows of the first Markdown table after `marker`, as trimmed cells (header excluded). */
function tableAfter(text: string, marker: string): string[][] {
  const lines = text.slice(text.indexOf(marker)).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split("|").map((cell) => cell.trim()));
  }
  return rows;
}

Deno.test("README's permissions table is lib/permissions.ts TOOL_ACCESS", () => {
  const expected = TOOL_NAMES.map((tool) => {
    const a = TOOL_ACCESS[tool];
    return [
      tool,
      a.registry ? "read, write" : "-",
      a.socketDir === "write" ? "read, write" : a.socketDir === "read" ? "read" : "-",
      a.registry || a.socketDir ? "yes" : "-",
    ];
  });
  assertEquals(tableAfter(section("Permissions"), "| tool"), expected);
});

Deno.test("README shows every tool's usage line as its --help prints it", async () => {
  const tools = section("The tools");
  for (const tool of TOOL_NAMES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", join(ROOT, "tools", `${tool}.ts`), "--help"],
      stdout: "piped",
    }).output();
    const help = new TextDecoder().decode(out.stdout);
    // The synopsis: the `Usage:` line and its continuation lines.
    const synopsis = help.split("\n\n")[0].split("\n").map((l) => l.replace(/^Usage: /, "").trim());
    for (const line of synopsis) {
      equal(tools.includes(`\n${line}\n`), true, `README shows "${line}"`);
    }
  }
});

Deno.test("README's variables are exactly the ones the tools read", () => {
  const names = tableAfter(section("Migration from the bash tools"), "| variable")
    .map(([cell]) => cell.replaceAll("`", ""));
  assertEquals(names, [...ENV_VARS]);
});

Deno.test("README's quick start runs what CI runs", async () => {
  const ci = await Deno.readTextFile(join(ROOT, ".ci/run"));
  assertMatch(section("Quick start"), /^bash scripts\/demo\.sh +#.*\nbash \.ci\/run +#/m);
  assertMatch(ci, /^bash scripts\/ensure-deps\.sh$/m);
  assertMatch(ci, /^deno task gates\b/m);
  assertMatch(ci, /^deno task test\b/m);
});

Deno.test("README's library example runs with the permissions it states", async () => {
  const library = section("Library");
  const code = library.match(/```ts\n([\s\S]*?)```/)![1];
  const flags = library.match(/`deno run (--allow-[^`]*) app\.ts`/)![1].split(" ");
  await using box = await Sandbox.create();
  const app = join(box.root, "app.ts");
  await Deno.writeTextFile(
    app,
    code.replace('from "./mod.ts"', `from ${JSON.stringify(join(ROOT, "mod.ts"))}`),
  );
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--check", ...flags, app],
    env: box.env,
    clearEnv: true,
    cwd: box.root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  equal(out.code, 0, decoder.decode(out.stderr));
  // Each `console.log(...); // TEXT` prints TEXT.
  const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]);
  assertEquals(decoder.decode(out.stdout).trimEnd().split("\n"), expected);
  equal(decoder.decode(out.stderr), "");
  // killOnDispose killed and deregistered it.
  assertEquals((await box.registry()).sessions, {});
});

Deno.test("README's library names are mod.ts exports and methods of its classes", () => {
  const library = section("Library");
  const list = library.slice(library.indexOf("Functions:"), library.indexOf("It uses"));
  const names = [...list.matchAll(/`(\w+)`/g)].map((m) => m[1]);
  equal(names.length > 25, true, names.join(" "));
  // `Class` (`method`, ...): names in the parentheses after a class are its methods (or exports).
  const methodOf = new Map<number, string>();
  for (const m of list.matchAll(/`(\w+)`[^(`]*\(([^)]*)\)/g)) {
    const owner = /handle with/.test(m[2]) ? "Session" : m[1];
    const start = m.index! + m[0].indexOf("(");
    for (const inner of m[2].matchAll(/`(\w+)`/g)) methodOf.set(start + 1 + inner.index!, owner);
  }
  for (const m of list.matchAll(/`(\w+)`/g)) {
    const name = m[1];
    const owner = methodOf.get(m.index!);
    if (name in lib) continue;
    if (owner === undefined) throw new Error(`mod.ts does not export ${name}`);
    const cls = Reflect.get(lib, owner) as { prototype: object } | undefined;
    equal(typeof Reflect.get(cls?.prototype ?? {}, name), "function", `${owner}#${name}`);
  }
  for (const name of library.match(/import \{([^}]*)\}/)![1].split(",").map((n) => n.trim())) {
    equal(name in lib, true, `mod.ts exports ${name}`);
  }
});
