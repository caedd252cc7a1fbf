/**
 * `deno task bundle`: `dist/NAME.js`, one self-contained file per tool.
 * `deno task compile`: `dist/bin/NAME`, one binary per tool, with each tool's
 * declared permissions baked in. `deno compile` needs the denort runtime; it
 * uses `DENORT_BIN` when set, and where the download fails it says so in one
 * line and exits non-zero.
 */
import { join, resolve } from "node:path";
import { staticPermissionFlags, TOOL_NAMES, type ToolName } from "../lib/permissions.ts";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const DIST = join(ROOT, "dist");
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

async function bundle(tools: readonly ToolName[]): Promise<number> {
  await Deno.mkdir(DIST, { recursive: true });
  for (const tool of tools) {
    const out = join(DIST, `${tool}.js`);
    const r = await deno(["bundle", "--quiet", "-o", out, join("tools", `${tool}.ts`)]);
    if (!r.ok) {
      console.error(`bundle of ${tool} failed: ${r.stderr.trim().split("\n")[0]}`);
      return 1;
    }
    console.error(`bundled ${out}`);
  }
  return 0;
}

async function compile(tools: readonly ToolName[]): Promise<number> {
  const bin = join(DIST, "bin");
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

const [command, ...only] = Deno.args;
const unknown = only.filter((t) => !(TOOL_NAMES as readonly string[]).includes(t));
if (unknown.length) {
  console.error(`Unknown tool: ${unknown.join(", ")}`);
  Deno.exit(2);
}
const tools = only.length ? only as ToolName[] : TOOL_NAMES;
if (command === "bundle") Deno.exit(await bundle(tools));
if (command === "compile") Deno.exit(await compile(tools));
console.error("Usage: deno run -A scripts/build.ts bundle|compile [TOOL...]");
Deno.exit(2);
