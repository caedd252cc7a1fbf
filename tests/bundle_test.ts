import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { dirname, join } from "node:path";
import { TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import { json, Sandbox, type ToolResult } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

/** `scripts/build.ts` as `deno task bundle|compile` runs it, writing under `out`. */
async function build(
  command: "bundle" | "compile",
  out: string,
  env: Record<string, string> = {},
  tools: ToolName[] = [],
) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-run",
      "--allow-env",
      join(ROOT, "scripts/build.ts"),
      command,
      "--out",
      out,
      ...tools,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: r.code, stdout: decoder.decode(r.stdout), stderr: decoder.decode(r.stderr) };
}

async function ls(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

function ok(r: ToolResult, what: string): ToolResult {
  equal(r.code, 0, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  equal(r.stderr, "", `${what}: nothing on stderr`);
  return r;
}

Deno.test("every bundled tool runs alone in an empty folder with its declared permissions", async (t) => {
  await using box = await Sandbox.create();
  const out = join(box.root, "bundles");
  const alone = {} as Record<ToolName, string>;

  await t.step("deno task bundle writes one file per tool", async () => {
    const r = await build("bundle", out);
    equal(r.code, 0, r.stderr);
    assertEquals(await ls(out), TOOL_NAMES.map((tool) => `${tool}.js`).sort());
    for (const tool of TOOL_NAMES) {
      const dir = join(box.root, `alone-${tool}`);
      await Deno.mkdir(dir);
      alone[tool] = join(dir, `${tool}.js`);
      await Deno.copyFile(join(out, `${tool}.js`), alone[tool]);
      const text = await Deno.readTextFile(alone[tool]);
      // Only built-in modules may be imported; all of lib/ is inside the file.
      for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm)) {
        assertMatch(m[1], /^node:/, `${tool}.js imports ${m[1]}`);
      }
    }
    await Deno.remove(out, { recursive: true });
  });

  // cwd is the bundle's own folder; the permissions grant no read of it.
  const run = (tool: ToolName, args: string[]) =>
    box.run(tool, args, { script: alone[tool], cwd: dirname(alone[tool]) });

  await t.step("--help of each bundle exits 0 and names the drop-in tool", async () => {
    for (const tool of TOOL_NAMES) {
      const r = ok(await run(tool, ["--help"]), `${tool} --help`);
      assertMatch(r.stdout, new RegExp(`^Usage: ${tool}\\.sh `));
    }
  });

  await t.step("a session's whole life runs through the bundles", async () => {
    const created = json(ok(await run("create-session", ["-n", "bundled"]), "create-session"));
    equal(created.registered, true);
    equal(created.target, "bundled:0.0");

    const listed = json<{ sessions: { name: string; status: string }[] }>(
      ok(await run("list-sessions", ["--json"]), "list-sessions"),
    );
    assertEquals(listed.sessions.map((s) => [s.name, s.status]), [["bundled", "alive"]]);

    equal(json(ok(await run("pane-health", ["-s", "bundled"]), "pane-health")).status, "healthy");
    ok(
      await run("safe-send", ["-s", "bundled", "-c", "echo from-$((6*7))", "-w", "^from-42$"]),
      "safe-send",
    );
    ok(
      await run("wait-for-text", ["-s", "bundled", "-p", "^from-42$", "-T", "5"]),
      "wait-for-text",
    );
    assertMatch(
      ok(await run("capture-pane", ["-s", "bundled"]), "capture-pane").stdout,
      /^from-42$/m,
    );

    const ran = await run("run", ["-s", "bundled", "-c", "echo out; (exit 5)"]);
    assertEquals([ran.code, ran.stdout], [5, "out\n"]);

    assertMatch(
      ok(await run("find-sessions", ["-A"]), "find-sessions").stdout,
      /^ {2}- bundled \(detached, started /m,
    );
    equal(
      ok(await run("cleanup-sessions", ["--dry-run"]), "cleanup-sessions").stdout,
      "No sessions to clean up.\n",
    );
    assertMatch(
      ok(await run("kill-session", ["-s", "bundled"]), "kill-session").stdout,
      /^Session 'bundled' fully removed$/m,
    );
    assertEquals((await box.registry()).sessions, {});
  });
});

Deno.test("deno task compile names DENORT_BIN in one line when the runtime can't be had", async () => {
  await using box = await Sandbox.create();
  const out = join(box.root, "compiled");
  const r = await build("compile", out, { DENORT_BIN: join(box.root, "no-denort") }, [
    "pane-health",
  ]);
  equal(r.code, 1);
  const lines = r.stderr.trimEnd().split("\n");
  equal(lines.length, 1, r.stderr);
  assertMatch(lines[0], /^compile of pane-health failed: .*set DENORT_BIN to a local denort/);
  assertEquals(await ls(join(out, "bin")), []);
});
