/**
 * Least permissions: each tool's declared Deno permissions (lib/permissions.ts)
 * are scoped to what it touches, and each one is needed: run without it, the
 * tool fails cleanly (its documented argument-error or look-up code, one
 * line on stderr naming the missing permission, no stack trace, the
 * registry unchanged).
 */
import { USAGE_EXIT } from "./fixtures/exit_codes.ts";
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { ENV_VARS } from "../lib/env.ts";
import {
  permissionFlags,
  realPathOnTheWay,
  TOOL_ACCESS,
  TOOL_NAMES,
  type ToolName,
} from "../lib/permissions.ts";
import { assertCleanFailure, runGuarded } from "./fixtures/guarded_run.ts";
import { pickToolkitEnv, Sandbox, testEntry, waitUntil } from "./helpers.ts";

Deno.test("declared permissions are scoped: tmux (and ps, test), nine variables, the uid, own folders", async () => {
  await using box = await Sandbox.create();
  const env = pickToolkitEnv(box.toolEnv());
  for (const tool of TOOL_NAMES) {
    const flags = permissionFlags(tool, env);
    const access = TOOL_ACCESS[tool];
    const value = (name: string) =>
      flags.filter((f) => f === name || f.startsWith(`${name}=`)).map((f) => f.slice(name.length));
    equal(flags[0], "--no-prompt", tool);
    // run asks ps whether the pane's foreground program waits for input;
    // create-session asks test -d whether a --cwd folder exists.
    const programs = tool === "run"
      ? "=tmux,ps"
      : tool === "create-session"
      ? "=tmux,test"
      : "=tmux";
    assertEquals(value("--allow-run"), [programs], `${tool}: tmux (and its own programs)`);
    assertEquals(value("--allow-env"), [`=${ENV_VARS.join(",")}`], `${tool}: only its variables`);
    assertEquals(value("--allow-sys"), access.registry || access.socketDir ? ["=uid"] : [], tool);
    for (const f of flags) {
      ok(
        /^--(no-prompt|allow-(run|env|sys|read|write)=.+)$/.test(f),
        `${tool}: ${f} is a known, scoped flag (no -A, net, ffi, import, unscoped access)`,
      );
    }
    const read = value("--allow-read").flatMap((v) => v.slice(1).split(","));
    const write = value("--allow-write").flatMap((v) => v.slice(1).split(","));
    // Where the temp folder is reached through a symlink (macOS), the real paths are its own too.
    const own = [box.socketDir, box.registryFile.replace(/\/[^/]*$/, ""), box.registryFile]
      .flatMap((path) => [path, realPathOnTheWay(path)]);
    for (const path of [...read, ...write]) ok(own.includes(path), `${tool}: ${path} is its own`);
    for (const path of write) ok(read.includes(path), `${tool}: writes only where it reads`);
    equal(write.length > 0, access.registry || access.socketDir === "write", `${tool} writes`);
  }
});

Deno.test("Deno grants no part of /proc without -A, so no tool declares it", async () => {
  // lib/health.ts reads /proc/PID/stat where it can; under the declared
  // flags it can't, and trusts tmux. Should a Deno allow a scoped grant,
  // this fails and /proc is worth declaring in TOOL_ACCESS again.
  const dir = await Deno.makeTempDir();
  const script = join(dir, "probe.ts");
  await Deno.writeTextFile(
    script,
    `try { Deno.readTextFileSync("/proc/" + Deno.pid + "/stat"); console.log("read"); }
     catch (e) { console.log((e as Error).name); }`,
  );
  const probe = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--no-prompt", "--allow-read=/proc", script],
  }).output();
  await Deno.remove(dir, { recursive: true });
  equal(new TextDecoder().decode(probe.stdout).trim(), "NotCapable");
  for (const tool of TOOL_NAMES) {
    equal(permissionFlags(tool, { HOME: "/h" }).some((f) => f.includes("/proc")), false, tool);
  }
});

/** Exit code when the uid can't be checked (an unsafe-path look-up error), per tool. */
const UID_EXIT: Record<ToolName, number> = { ...USAGE_EXIT, "kill-session": 2 };

/** A call of each tool that needs every permission it declares (and succeeds with them). */
const FULL_USE: Record<ToolName, { args: string[]; code: number }> = {
  "create-session": { args: ["-n", "fresh"], code: 0 },
  "list-sessions": { args: ["--json"], code: 0 },
  "pane-health": { args: ["-s", "perm"], code: 0 },
  "kill-session": { args: ["-s", "perm"], code: 0 },
  "cleanup-sessions": { args: [], code: 0 }, // removes the entry of the gone server
  "find-sessions": { args: ["-A"], code: 0 },
  "safe-send": { args: ["-s", "perm", "-c", "echo hi"], code: 0 },
  "wait-for-text": { args: ["-s", "perm", "-p", "[#$]"], code: 0 },
  "capture-pane": { args: ["-s", "perm"], code: 0 },
  "run": { args: ["-s", "perm", "-c", "echo hi"], code: 0 },
};

/** A registered live session `perm` (a shell) in the socket folder, and an entry of a gone server. */
async function world(): Promise<{ box: Sandbox; before: Uint8Array }> {
  const box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  const sock = join(box.socketDir, "perm.sock");
  box.sockets.add(sock);
  await box.newSession(sock, "perm");
  await waitUntil(async () =>
    /[#$] *$/.test((await box.tmux(sock, "capture-pane", "-p")).trimEnd())
  );
  const entry = (socket: string, name: string) => testEntry(socket, `${name}:0.0`);
  await box.writeSessions({
    gone: entry(join(box.root, "gone.sock"), "gone"),
    perm: entry(sock, "perm"),
  });
  await Deno.chmod(box.registryFile, 0o600);
  return { box, before: await Deno.readFile(box.registryFile) };
}

/** Registry text with the looked-up entry's last_active left out. */
function withoutTouch(bytes: Uint8Array): unknown {
  const data = JSON.parse(new TextDecoder().decode(bytes));
  delete data.sessions.perm.last_active;
  return data;
}

/** Each declared flag left out in turn: [what is missing, the flags without it]. */
function withOneLess(flags: string[]): [string, (declared: string[]) => string[]][] {
  return flags.filter((f) => f !== "--no-prompt").map((flag) => {
    const name = flag.slice(0, flag.indexOf("=") === -1 ? undefined : flag.indexOf("="));
    return [name, (declared) => declared.filter((f) => f !== flag)];
  });
}

Deno.test("each tool, run with one declared permission less, fails cleanly", async (t) => {
  for (const tool of TOOL_NAMES) {
    await t.step(tool, async () => {
      const { args, code } = FULL_USE[tool];
      {
        const { box } = await world();
        await using _ = box;
        const r = await runGuarded(box, tool, args);
        equal(r.code, code, `${tool} works with exactly its declared flags: ${r.stderr}`);
      }
      // One world for every variant: none of them may change it (the registry is compared).
      const { box, before } = await world();
      await using _ = box;
      const declared = permissionFlags(tool, pickToolkitEnv(box.toolEnv()));
      const variants = withOneLess(declared).filter(([missing]) =>
        // list-sessions writes only to import the old registry: tested below;
        // a look-up writes only last_active, which it skips when it can't: tested below.
        !((tool === "list-sessions" || LOOKUP_ONLY.includes(tool)) && missing === "--allow-write")
      );
      ok(variants.length >= 3, `${tool}: run, env and at least one more`);
      const results = await Promise.all(
        variants.map(([, flags]) => runGuarded(box, tool, args, { flags })),
      );
      variants.forEach(([missing], i) => {
        const r = results[i];
        const label = `${tool} without ${missing}`;
        // kill-session kills before it writes the registry: a registry it may not write is
        // a partial removal (exit 1, three failure lines), as with any it cannot write.
        const partial = tool === "kill-session" && missing === "--allow-write";
        assertCleanFailure(r, {
          code: partial ? 1 : missing === "--allow-sys" ? UID_EXIT[tool] : USAGE_EXIT[tool],
          stderr: new RegExp(`${missing}\\b`),
          lines: partial ? 3 : 1,
          // kill-session announces the kill on stdout before it needs tmux.
          emptyStdout: tool !== "kill-session",
        }, label);
        if (partial) {
          equal(
            r.stdout,
            "Killing tmux session: perm\n  \u2713 Tmux session killed successfully\n" +
              "Removing from registry: perm\n",
          );
        } else if (tool === "kill-session") {
          assertMatch(r.stdout, /^(Killing tmux session: perm\n)?$/);
        }
      });
      // Unchanged but for the documented last_active touch of `-s perm` (before tmux runs).
      assertEquals(withoutTouch(await Deno.readFile(box.registryFile)), withoutTouch(before), tool);
    });
  }
});

/** Tools that only look a session up: they write nothing but its last_active. */
const LOOKUP_ONLY: ToolName[] = [
  "pane-health",
  "safe-send",
  "wait-for-text",
  "capture-pane",
  "run",
];

Deno.test("a look-up without write permission works and leaves the registry as it was", async (t) => {
  for (const tool of LOOKUP_ONLY) {
    await t.step(tool, async () => {
      const { box, before } = await world();
      await using _ = box;
      const write = permissionFlags(tool, pickToolkitEnv(box.toolEnv()))
        .find((f) => f.startsWith("--allow-write="));
      ok(write, `${tool} declares write access (for last_active)`);
      const r = await runGuarded(box, tool, FULL_USE[tool].args, {
        flags: (flags) => flags.filter((f) => f !== write),
      });
      assertEquals([r.code, r.stderr], [FULL_USE[tool].code, ""], tool);
      assertEquals(await Deno.readFile(box.registryFile), before, "last_active not written");
    });
  }
});

Deno.test("list-sessions needs its write permission for the one-time import", async () => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const legacyDir = join(box.env.TMPDIR, "claude-tmux-sockets");
  await Deno.mkdir(legacyDir, { mode: 0o700 });
  await Deno.writeTextFile(
    join(legacyDir, ".sessions.json"),
    JSON.stringify({
      sessions: {
        old: {
          socket: "/o.sock",
          target: "old:0.0",
          type: "shell",
          created_at: "2024-01-01T00:00:00Z",
          last_active: "2024-01-01T00:00:00Z",
        },
      },
      version: "1.0",
    }),
    { mode: 0o600 },
  );
  const declared = permissionFlags("list-sessions", pickToolkitEnv(box.toolEnv()));
  const write = declared.find((f) => f.startsWith("--allow-write="))!;
  const without = await runGuarded(box, "list-sessions", ["--json"], {
    flags: (flags) => flags.filter((f) => f !== write),
  });
  assertCleanFailure(without, { code: 1, stderr: /--allow-write\b/ });
  const withIt = await runGuarded(box, "list-sessions", ["--json"]);
  equal(withIt.code, 0, withIt.stderr);
  assertMatch(withIt.stdout, /"name": "old"/);
});
