/**
 * `deno task bundle`: `dist/NAME.js`, one self-contained file per tool.
 * `deno task compile`: `dist/bin/NAME`, one binary per tool, with each tool's
 * declared permissions baked in. `deno compile` needs the denort runtime; it
 * uses `DENORT_BIN` when set, and where the download fails it says so in one
 * line and exits non-zero.
 *
 *     deno run -A scripts/build.ts bundle|compile [--out DIR] [TOOL...]
 *
 * `--out DIR` writes there instead of `dist/` (binaries: `DIR/bin/`).
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { staticPermissionFlags, TOOL_NAMES, type ToolName } from "../lib/permissions.ts";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const decoder = new TextDecoder();

async function deno(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  return { ok: out.success, stderr: decoder.decode(out.stderr) };
}

async function bundle(dist: string, tools: readonly ToolName[]): Promise<number> {
  await Deno.mkdir(dist, { recursive: true });
  for (const tool of tools) {
    const out = join(dist, `${tool}.js`);
    const r = await deno(["bundle", "--quiet", "-o", out, join("tools", `${tool}.ts`)]);
    if (!r.ok) {
      console.error(`bundle of ${tool} failed: ${r.stderr.trim().split("\n")[0]}`);
      return 1;
    }
    console.error(`bundled ${out}`);
  }
  return 0;
}

async function compile(dist: string, tools: readonly ToolName[]): Promise<number> {
  const bin = join(dist, "bin");
  await Deno.mkdir(bin, { recursive: true });
  const runtime = Deno.env.get("DENORT_BIN");
  for (const tool of tools) {
    const out = join(bin, tool);
    // Permissions baked into a binary can't follow $HOME at run time.
    const r = await deno([
      "compile",
      "--quiet",
      ...staticPermissionFlags(tool),
      "-o",
      out,
      join("tools", `${tool}.ts`),
    ]);
    if (!r.ok) {
      const why = /dl\.deno\.land|denort|error sending request|dns error/i.test(r.stderr)
        ? `deno compile could not download its runtime (denort)${
          runtime ? ` and DENORT_BIN=${runtime} did not work` : ""
        }: set DENORT_BIN to a local denort binary of deno ${Deno.version.deno}`
        : r.stderr.trim().split("\n").find((l) => /error/i.test(l)) ?? "unknown error";
      console.error(`compile of ${tool} failed: ${why}`);
      return 1;
    }
    console.error(`compiled ${out}`);
  }
  return 0;
}

const USAGE = "Usage: deno run -A scripts/build.ts bundle|compile [--out DIR] [TOOL...]";
let parsed;
try {
  parsed = parseArgs({
    args: Deno.args,
    options: { out: { type: "string" } },
    allowPositionals: true,
  });
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
  Deno.exit(2);
}
const { values, positionals } = parsed;
const [command, ...only] = positionals;
// Relative to where the task was started, as a user would expect.
const dist = values.out
  ? resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), values.out)
  : join(ROOT, "dist");
const unknown = only.filter((t) => !(TOOL_NAMES as readonly string[]).includes(t));
if (unknown.length) {
  console.error(`Unknown tool: ${unknown.join(", ")}`);
  Deno.exit(2);
}
const tools = only.length ? only as ToolName[] : TOOL_NAMES;
if (command === "bundle") Deno.exit(await bundle(dist, tools));
if (command === "compile") Deno.exit(await compile(dist, tools));
console.error(USAGE);
Deno.exit(2);
