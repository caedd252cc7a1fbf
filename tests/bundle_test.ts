import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { dirname, join } from "node:path";
import { staticPermissionFlags, TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import {
  MULTI_TOOL,
  multiToolPermissionFlags,
  type Target,
  verifyBinary,
} from "../scripts/build.ts";
import { json, runProgram, Sandbox, type ToolResult, toolScript } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

/** `scripts/build.ts` as `deno task bundle|compile` runs it, writing under `out`. */
async function build(
  command: "bundle" | "compile",
  out: string,
  env: Record<string, string> = {},
  tools: Target[] = [],
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

Deno.test("deno task compile fails in one line when DENORT_BIN makes it write the deno CLI", async () => {
  // deno compile "succeeds" with a plain deno as its runtime and writes the
  // deno CLI itself; the build runs what it built and says so.
  await using box = await Sandbox.create();
  const out = join(box.root, "compiled");
  for (const target of ["list-sessions", "ctmux"] as const) {
    const r = await build("compile", out, { DENORT_BIN: Deno.execPath() }, [target]);
    equal(r.code, 1, r.stderr);
    const lines = r.stderr.trimEnd().split("\n");
    equal(lines.length, 1, r.stderr);
    assertMatch(
      lines[0],
      new RegExp(
        `^compile of ${target} failed: \\S+/bin/${target} is not the tool: its --help exited \\d+ ` +
          `and printed ".*"; DENORT_BIN=\\S+ is not the denort runtime of deno ${Deno.version.deno}$`,
      ),
    );
    assertEquals(await ls(join(out, "bin")), [], "the wrong binary is removed");
  }
});

Deno.test("the compile check passes every real tool and ctmux, run with their baked-in flags", async () => {
  const targets = [...TOOL_NAMES, MULTI_TOOL] as const;
  const verdicts = await Promise.all(targets.map((target) => {
    const flags = target === MULTI_TOOL
      ? multiToolPermissionFlags()
      : staticPermissionFlags(target);
    const command = [Deno.execPath(), "run", "--quiet", ...flags, toolScript(target)];
    return verifyBinary(command, target);
  }));
  assertEquals(verdicts, targets.map(() => undefined));
  // And it is not fooled by a program that only prints the usage.
  const liar = ["bash", "-c", 'echo "Usage: pane-health.sh [-h]"', "_"];
  assertMatch(
    (await verifyBinary(liar, "pane-health"))!,
    /^is not the tool: '-S \S+\/none\.sock -t x' in an empty world exited 0 \(expected 4\)/,
  );
});

Deno.test("ctmux runs the tool its first argument or its own name names", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "multi");
  const flags = multiToolPermissionFlags();
  const ctmux = (args: string[], argv0?: string) =>
    runProgram(
      "bash",
      [
        "-c",
        'name=$1; shift; exec ${name:+-a "$name"} "$@"',
        "_",
        argv0 ?? "",
        Deno.execPath(),
        "run",
        "--quiet",
        ...flags,
        toolScript(MULTI_TOOL),
        ...args,
      ],
      { env: box.env, cwd: box.root },
    );
  const direct = await box.run("pane-health", ["-S", sock, "-t", "multi"]);
  equal(direct.code, 0, direct.stderr);
  for (
    const [args, argv0] of [
      [["pane-health", "-S", sock, "-t", "multi"], undefined],
      [["pane-health.sh", "-S", sock, "-t", "multi"], undefined],
      [["-S", sock, "-t", "multi"], "/somewhere/bin/pane-health.sh"],
      [["-S", sock, "-t", "multi"], "pane-health"],
    ] as const
  ) {
    const r = await ctmux([...args], argv0);
    assertEquals([r.code, r.stdout, r.stderr], [0, direct.stdout, ""], `${argv0} ${args[0]}`);
  }
  const missing = await ctmux(["capture-pane", "-S", sock, "-t", "nope"]);
  equal(missing.code, 2, "the tool's own exit code passes through");
  const unknown = await ctmux(["nope", "-h"]);
  equal(unknown.code, 2);
  assertMatch(unknown.stderr, /^ctmux: unknown tool 'nope' \(one of: create-session, .*run\)\n$/);
  const help = await ctmux(["--help"]);
  equal(help.code, 0);
  assertMatch(help.stdout, /^Usage: ctmux TOOL \[ARGS\.\.\.\]/);
});
