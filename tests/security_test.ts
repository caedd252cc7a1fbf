/**
 * Security: what the tools create is private (0700 folders, 0600 files, even
 * under umask 000); a socket folder or registry that another user owns or
 * that group or others can write is refused by every tool, which then never
 * talks to the tmux server found there; writes never follow a planted
 * symlink; names and patterns never reach a shell.
 * (tests/safety_test.ts and tests/registry_test.ts prove the checks as
 * library calls; this file drives the tools.)
 */
import { LOOKUP_EXIT } from "./fixtures/exit_codes.ts";
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import {
  assertCleanFailure,
  clientsOf,
  type GuardedResult,
  pooled,
  runGuarded,
} from "./fixtures/guarded_run.ts";
import { isRoot, json, Sandbox, waitUntil } from "./helpers.ts";

const NOBODY = 65534;
const SECRET = "hunter2-typed-secret";
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Mode bits of `path` (not following a symlink). */
async function mode(path: string): Promise<number> {
  return (await Deno.lstat(path)).mode! & 0o7777;
}

/** Every path under `dir` (itself included) with its mode. */
async function modesUnder(dir: string): Promise<[string, number][]> {
  const out: [string, number][] = [[dir, await mode(dir)]];
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await modesUnder(path));
    else out.push([path, await mode(path)]);
  }
  return out;
}

Deno.test("what the tools create is private, even under umask 000", async (t) => {
  await t.step("CLAUDE_TMUX_SOCKET_DIR (missing parents too)", async () => {
    await using box = await Sandbox.create();
    const base = join(box.root, "deep");
    const socketDir = join(base, "er", "sockets");
    const r = await runGuarded(box, "create-session", ["-n", "private"], {
      umask: "000",
      env: { CLAUDE_TMUX_SOCKET_DIR: socketDir },
    });
    equal(r.code, 0, r.stderr);
    // The toolkit's private folder holds the session's output log (its files vary as it fills);
    // the pane's own folder is made by the log's pipe, as it starts.
    const toolkit = join(socketDir, ".ctmux");
    await waitUntil(async () =>
      (await modesUnder(base)).some(([p]) => /\/\.ctmux\/output\/[^/]+\/private\/log\/srv/.test(p))
    );
    const modes = await modesUnder(base);
    assertEquals(
      modes.map(([p]) => p.slice(base.length)).filter((p) => !p.includes("/.ctmux/")).sort(),
      [
        "",
        "/er",
        "/er/sockets",
        "/er/sockets/.ctmux",
        "/er/sockets/.sessions.json",
        "/er/sockets/.sessions.lock",
        "/er/sockets/claude.sock",
      ],
    );
    ok(
      modes.some(([p]) => /\/\.ctmux\/output\/[^/]+\/private\/log\/srv/.test(p)),
      "the session's log",
    );
    for (const [path, bits] of modes) {
      const isDir = (await Deno.lstat(path)).isDirectory;
      const expected = path.endsWith(".sock")
        ? [0o600, 0o700]
        : path.includes(".sessions.") || (path.startsWith(toolkit) && !isDir)
        ? [0o600]
        : [0o700];
      ok(expected.includes(bits & 0o777), `${path}: mode ${bits.toString(8)}`);
    }
  });

  await t.step("the default locations (socket dir under TMPDIR, registry under XDG)", async () => {
    await using box = await Sandbox.create({ socketDirEnv: false });
    const r = await runGuarded(box, "create-session", ["-n", "private"], { umask: "000" });
    equal(r.code, 0, r.stderr);
    equal(await mode(box.socketDir), 0o700);
    const stateDir = join(box.env.XDG_STATE_HOME, "claude-tmux");
    equal(await mode(stateDir), 0o700);
    equal(await mode(box.registryFile), 0o600);
    equal(await mode(join(stateDir, ".sessions.lock")), 0o600);
    equal((await mode(box.defaultSocket)) & 0o077, 0, "no group/other access to the socket");
  });
});

/** Each tool's call that would use the planted folder or registry. */
const PLANTED_ARGS: Record<ToolName, string[]> = {
  "create-session": ["-n", "mine"],
  "list-sessions": [],
  "pane-health": ["-s", "victim"],
  "kill-session": ["-s", "victim"],
  "cleanup-sessions": ["--all"],
  "find-sessions": ["-A"],
  "safe-send": ["-s", "victim", "-c", SECRET],
  "wait-for-text": ["-s", "victim", "-p", "x"],
  "capture-pane": ["-s", "victim"],
  "run": ["-s", "victim", "-c", `echo ${SECRET}`],
};

interface Planted {
  label: string;
  /** Needs chown to another user (root only). */
  needsRoot: boolean;
  /** Makes the socket folder or the registry untrustworthy. */
  plant(box: Sandbox): Promise<void>;
  /** What the refusal names. */
  refused: (box: Sandbox) => RegExp;
  /** Whether the socket folder itself is the problem (find-sessions -A refuses it too). */
  socketDirUnsafe: boolean;
}

const PLANTED: Planted[] = [
  {
    label: "socket folder owned by another user",
    needsRoot: true,
    plant: (box) => Deno.chown(box.socketDir, NOBODY, NOBODY),
    refused: (box) => new RegExp(`${escape(box.socketDir)}: owned by uid ${NOBODY}, not by you`),
    socketDirUnsafe: true,
  },
  {
    label: "socket folder writable by others",
    needsRoot: false,
    plant: (box) => Deno.chmod(box.socketDir, 0o777),
    refused: (box) => new RegExp(`${escape(box.socketDir)}: writable by group and others`),
    socketDirUnsafe: true,
  },
  {
    label: "socket folder writable by its group",
    needsRoot: false,
    plant: (box) => Deno.chmod(box.socketDir, 0o770),
    refused: (box) => new RegExp(`${escape(box.socketDir)}: writable by group \\(mode 0770\\)`),
    socketDirUnsafe: true,
  },
  {
    label: "registry owned by another user",
    needsRoot: true,
    plant: (box) => Deno.chown(box.registryFile, NOBODY, NOBODY),
    refused: (box) =>
      new RegExp(`registry ${escape(box.registryFile)}: owned by uid ${NOBODY}, not by you`),
    socketDirUnsafe: false,
  },
  {
    label: "registry writable by others",
    needsRoot: false,
    plant: (box) => Deno.chmod(box.registryFile, 0o666),
    refused: (box) => new RegExp(`registry ${escape(box.registryFile)}: writable by group and`),
    socketDirUnsafe: false,
  },
  {
    label: "registry a symlink another user planted",
    needsRoot: true,
    async plant(box) {
      const real = join(box.root, "their-registry.json");
      await Deno.rename(box.registryFile, real);
      await Deno.symlink(real, box.registryFile);
      const r = await new Deno.Command("chown", {
        args: ["-h", `${NOBODY}:${NOBODY}`, box.registryFile],
      }).output();
      equal(r.code, 0);
    },
    refused: (box) =>
      new RegExp(`registry ${escape(box.registryFile)}: a symlink owned by uid ${NOBODY}`),
    socketDirUnsafe: false,
  },
];

/**
 * Someone else's tmux server at the default socket, whose pane echoes what is
 * typed into it, and a registry entry pointing at it.
 */
async function plantServer(box: Sandbox): Promise<string> {
  const theirs = box.defaultSocket;
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  await box.newSession(theirs, "victim", ["cat"]);
  box.sockets.add(theirs);
  await box.writeRegistry(
    JSON.stringify(
      {
        sessions: {
          victim: {
            socket: theirs,
            target: "victim:0.0",
            type: "shell",
            created_at: "2025-11-24T16:00:00Z",
            last_active: "2025-11-24T16:00:00Z",
          },
        },
        version: "1.0",
      },
      null,
      2,
    ) + "\n",
  );
  await Deno.chmod(box.registryFile, 0o600);
  return theirs;
}

Deno.test("a socket folder or registry others control is refused by every tool", async (t) => {
  for (const planted of PLANTED) {
    await t.step({
      name: planted.label,
      ignore: planted.needsRoot && !isRoot,
      fn: async () => {
        await using box = await Sandbox.create();
        const theirs = await plantServer(box);
        const registryBefore = await Deno.readFile(box.registryFile);
        await planted.plant(box);
        const results: GuardedResult[] = await pooled(
          4,
          TOOL_NAMES.map((tool) => () => runGuarded(box, tool, PLANTED_ARGS[tool])),
        );
        TOOL_NAMES.forEach((tool, i) => {
          const r = results[i];
          if (tool === "find-sessions" && !planted.socketDirUnsafe) {
            // Only the registry is the problem: listing our own folder is fine.
            equal(r.code, 0, r.stderr);
            return;
          }
          assertCleanFailure(r, {
            code: LOOKUP_EXIT[tool],
            stderr: new RegExp(`^(Error: )?Refusing to use .*${planted.refused(box).source}`),
          }, `${planted.label}: ${tool}`);
        });
        // Nothing reached their server: no keys typed, no session made or killed, no client.
        const screen = await box.tmux(theirs, "capture-pane", "-p", "-t", "=victim:");
        equal(screen.includes(SECRET), false, "nothing was typed into their pane");
        const sessions = await box.tmux(theirs, "list-sessions", "-F", "#{session_name}");
        equal(sessions, "victim\n");
        equal(await clientsOf(box, theirs), "");
        const registry = await Deno.lstat(box.registryFile).then(() => true, () => false);
        if (registry && !planted.label.includes("symlink")) {
          assertEquals(await Deno.readFile(box.registryFile), registryBefore, "registry unchanged");
        }
      },
    });
  }

  await t.step({
    name: "the default /tmp/claude-tmux-sockets pre-created by another user",
    ignore: !isRoot,
    fn: async () => {
      await using box = await Sandbox.create({ socketDirEnv: false });
      // The attack: they made TMPDIR/claude-tmux-sockets and run a server at claude.sock.
      await Deno.mkdir(box.socketDir, { mode: 0o755 });
      await box.newSession(box.defaultSocket, "theirs", ["cat"]);
      box.sockets.add(box.defaultSocket);
      await Deno.chown(box.socketDir, NOBODY, NOBODY);
      const refused = new RegExp(
        `^(Error: )?Refusing to use socket directory ${escape(box.socketDir)}: owned by uid ` +
          `${NOBODY}, not by you \\(uid 0\\); someone else may control it\n$`,
      );
      const create = await runGuarded(box, "create-session", ["-n", "mine"]);
      assertCleanFailure(create, { code: 1, stderr: refused }, "create-session");
      const find = await runGuarded(box, "find-sessions", ["-A"]);
      assertCleanFailure(find, { code: 1, stderr: refused }, "find-sessions -A");
      const sessions = await box.tmux(box.defaultSocket, "list-sessions", "-F", "#{session_name}");
      equal(sessions, "theirs\n", "no session of ours on their server");
      equal(
        await Deno.stat(box.registryFile).then(() => true, () => false),
        false,
        "nothing was registered",
      );
    },
  });
});

Deno.test("registry writes never follow a planted symlink", async (t) => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  const precious = "precious\n";

  await t.step("symlinks named like temp files are neither followed nor removed", async () => {
    const victim = join(box.socketDir, "victim.txt");
    await Deno.writeTextFile(victim, precious);
    const planted = [".sessions.json.tmp.99999.abc", ".sessions.json.tmp.1.zz"];
    for (const name of planted) await Deno.symlink(victim, join(box.socketDir, name));
    const r = await runGuarded(box, "create-session", ["-n", "one"]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(victim), precious);
    for (const name of planted) ok((await Deno.lstat(join(box.socketDir, name))).isSymlink);
    ok((await Deno.lstat(box.registryFile)).isFile);
    equal(await mode(box.registryFile), 0o600);
    for (const name of [...planted, "victim.txt"]) await Deno.remove(join(box.socketDir, name));
  });

  await t.step("a registry that is a symlink is replaced, never written through", async () => {
    const target = join(box.socketDir, "real.json");
    await Deno.rename(box.registryFile, target);
    const text = await Deno.readTextFile(target);
    await Deno.symlink(target, box.registryFile);
    const r = await runGuarded(box, "create-session", ["-n", "two"]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(target), text, "the symlink's target is untouched");
    ok((await Deno.lstat(box.registryFile)).isFile, "a regular file now");
    assertEquals(Object.keys((await box.registry()).sessions), ["one", "two"]);
    await Deno.remove(target);
  });

  await t.step(
    "a symlink into another private folder: read, replaced, its target untouched",
    async () => {
      const outside = join(box.root, "outside.json");
      await Deno.rename(box.registryFile, outside);
      const text = await Deno.readTextFile(outside);
      await Deno.symlink(outside, box.registryFile);
      // lib/permissions.ts grants the link's real path for reading (a registry linked into
      // another private folder works, issue 12); the write still goes to a new file here.
      const r = await runGuarded(box, "create-session", ["-n", "three"]);
      equal(r.code, 0, r.stderr);
      equal(await Deno.readTextFile(outside), text, "the symlink's target is untouched");
      ok((await Deno.lstat(box.registryFile)).isFile, "a regular file now");
      assertEquals(Object.keys((await box.registry()).sessions), ["one", "two", "three"]);
      await Deno.remove(outside);
    },
  );

  await t.step("a symlink to a file others can write: refused, its target untouched", async () => {
    const registry = await Deno.readTextFile(box.registryFile);
    const shared = join(box.root, "shared.json");
    await Deno.writeTextFile(shared, registry, { mode: 0o666 });
    await Deno.chmod(shared, 0o666);
    await Deno.remove(box.registryFile);
    await Deno.symlink(shared, box.registryFile);
    const r = await runGuarded(box, "create-session", ["-n", "refused"]);
    assertCleanFailure(r, { code: 1, stderr: /writable by group and others/ });
    equal(await Deno.readTextFile(shared), registry);
    await Deno.remove(box.registryFile);
    await Deno.writeTextFile(box.registryFile, registry, { mode: 0o600 });
  });

  await t.step("a lock file that is a symlink is only locked, never written", async () => {
    const lock = join(box.socketDir, ".sessions.lock");
    const victim = join(box.socketDir, "victim.txt");
    await Deno.remove(lock);
    await Deno.writeTextFile(victim, precious);
    await Deno.symlink(victim, lock);
    const r = await runGuarded(box, "create-session", ["-n", "four"]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(victim), precious);
    assertEquals(Object.keys((await box.registry()).sessions).sort(), [
      "four",
      "one",
      "three",
      "two",
    ]);
  });
});

Deno.test("names and patterns never reach a shell or a tmux format", async (t) => {
  await using box = await Sandbox.create();
  const marker = join(box.root, "marker");
  const window = `#(touch ${marker}-window) w`;
  const names = [
    `x$(touch ${marker}-subst)`,
    `x\`touch ${marker}-backtick\``,
    `'; touch ${marker}-quote; '`,
    `x";touch ${marker}-dq;"`,
    `#(touch ${marker}-format)`,
    "a#{pid}b",
    "ünï 😀 <&|>",
  ];
  for (const name of names) {
    await t.step(JSON.stringify(name), async () => {
      const created = await runGuarded(box, "create-session", ["-n", name, "-w", window]);
      equal(created.code, 0, created.stderr);
      equal(json<{ name: string }>(created).name, name);
      await waitUntil(async () => {
        const r = await runGuarded(box, "capture-pane", ["-s", name]);
        return r.code === 0 && /[#$] *$/.test(r.stdout.trimEnd());
      }, { message: "the shell prompt" });
      const names = await box.tmux(
        box.defaultSocket,
        "list-windows",
        "-a",
        "-F",
        "#{session_name}|#{window_name}",
      );
      equal(names, `${name}|${window}\n`, "tmux has the very names");

      const health = await runGuarded(box, "pane-health", ["-s", name]);
      equal(health.code, 0, health.stderr);
      const sent = await runGuarded(box, "safe-send", [
        "-s",
        name,
        "-c",
        "echo ok $((6*7))",
        "-w",
        `^ok 42$`,
        "-T",
        "10",
      ]);
      equal(sent.code, 0, sent.stderr);
      const waited = await runGuarded(box, "wait-for-text", [
        "-s",
        name,
        "-F",
        "-p",
        name,
        "-T",
        "0",
      ]);
      equal(waited.code, 1, "the name is a fixed string that is not on screen");
      const ran = await runGuarded(box, "run", ["-s", name, "-c", "echo $((1+1))"]);
      equal(ran.code, 0, ran.stderr);
      equal(ran.stdout, "2\n");
      const listed = await runGuarded(box, "list-sessions", ["--json"]);
      const rows = json<{ sessions: { name: string; status: string }[] }>(listed).sessions;
      assertEquals(rows.map((s) => [s.name, s.status]), [[name, "alive"]]);
      const killed = await runGuarded(box, "kill-session", ["-s", name]);
      equal(killed.code, 0, killed.stderr);
      assertEquals((await box.registry()).sessions, {});
      // The server leaves once its last session is gone; until then it lists nothing.
      await waitUntil(async () => {
        const r = await box.tmuxRaw(box.defaultSocket, "list-sessions", "-F", "#{session_name}");
        return r.code === 1 || r.stdout === "";
      }, { message: "the session to be gone" });
    });
  }

  await t.step("a target ending in ';' never reaches another session", async () => {
    const sock = box.socket("semi.sock");
    await box.newSession(sock, "x", ["cat"]);
    const r = await runGuarded(box, "kill-session", ["-S", sock, "-t", "x;", "-v"]);
    equal(r.code, 1, "not killed (no such session), nothing to deregister");
    // tmux's own reason is among the -v details.
    assertMatch(r.stderr, /can't find session: x;/);
    equal(await box.tmux(sock, "list-sessions", "-F", "#{session_name}"), "x\n");
  });

  await t.step("names tmux could not keep or find are refused before tmux runs", async () => {
    for (const name of ["$x", "=x", "x;"]) {
      const r = await runGuarded(box, "create-session", ["-n", name]);
      assertCleanFailure(r, { code: 1, stderr: /^Error: Invalid session name / }, name);
    }
  });

  const left: string[] = [];
  for await (const e of Deno.readDir(box.root)) if (e.name.startsWith("marker")) left.push(e.name);
  assertEquals(left, [], "no name ran as a command");
});

Deno.test("only lib/tmux.ts starts processes: tmux and the read-only helpers, never a shell", async () => {
  const root = new URL("..", import.meta.url).pathname;
  const spawners: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(join(root, dir))) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`);
      if (!e.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(join(root, dir, e.name));
      if (/new Deno\.Command\(|Deno\.run\(|node:child_process/.test(text)) {
        spawners.push(`${dir}/${e.name}`);
      }
      ok(!/["'](run-shell|if-shell)["']/.test(text), `${dir}/${e.name} asks tmux for a shell`);
    }
  };
  for (const dir of ["lib", "tools"]) await walk(dir);
  assertEquals(spawners, ["lib/tmux.ts"]);
  const runner = await Deno.readTextFile(join(root, "lib", "tmux.ts"));
  const starts = [...runner.matchAll(/new Deno\.Command\(([^,]+),/g)].map((m) => m[1]);
  assertEquals(starts, ['options.program ?? "tmux"', 'options.program ?? "tmux"', "program"]);
  // The one non-tmux start takes only the helper programs, by type.
  assertMatch(runner, /export type HelperProgram = "ps" \| "test";/);
});
