import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { json, Sandbox, type ToolResult, waitUntil } from "./helpers.ts";

interface Created {
  name: string;
  socket: string;
  target: string;
  type: string;
  pid: number | null;
  window: string;
  registered: boolean;
}

/** One line on stderr, nothing on stdout: how every argument error looks. */
function assertOneLineError(r: ToolResult, code: number, pattern: RegExp): void {
  equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  equal(r.stdout, "");
  assertMatch(r.stderr, /^[^\n]+\n$/);
  assertMatch(r.stderr, pattern);
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Session names on a socket, or null when no server answers there. */
async function tmuxSessions(box: Sandbox, socket: string): Promise<string[] | null> {
  const r = await box.tmuxRaw(socket, "list-sessions", "-F", "#{session_name}");
  return r.code === 0 ? r.stdout.split("\n").filter((l) => l !== "") : null;
}

Deno.test("create-session rejects bad arguments before touching tmux", async (t) => {
  await using box = await Sandbox.create();

  await t.step("no arguments: usage on stdout, exit 1", async () => {
    const r = await box.run("create-session", []);
    equal(r.code, 1);
    assertMatch(r.stdout, /^Usage: create-session\.sh /);
    equal(r.stderr, "");
  });

  await t.step("-h and --help: usage with examples, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await box.run("create-session", [flag]);
      equal(r.code, 0);
      assertMatch(r.stdout, /^Usage: create-session\.sh /);
      assertMatch(r.stdout, /Examples:\n {2}create-session\.sh -n /);
      equal(r.stderr, "");
    }
  });

  await t.step("missing -n, -n without value, unknown option: exit 1", async () => {
    const usage = (await box.run("create-session", ["--help"])).stdout;
    // As the original: the error line, then the usage on stdout.
    for (const args of [["--python"], ["-n", ""]]) {
      const r = await box.run("create-session", args);
      assertEquals(
        [r.code, r.stderr, r.stdout],
        [1, "Error: Session name is required (use -n <name>)\n", usage],
      );
    }
    const unknown = await box.run("create-session", ["-n", "x", "--bogus"]);
    assertEquals(
      [unknown.code, unknown.stderr, unknown.stdout],
      [1, "Error: Unknown option: --bogus\n", usage],
    );
    assertOneLineError(await box.run("create-session", ["-n"]), 1, /requires a value/);
    assertOneLineError(await box.run("create-session", ["--name"]), 1, /requires a value/);
    assertOneLineError(
      await box.run("create-session", ["-n", "x", "--python", "--gdb"]),
      1,
      /only one of --shell, --python and --gdb/,
    );
  });

  await t.step("names tmux would change are refused: exit 1", async () => {
    assertOneLineError(await box.run("create-session", ["-n", "a.b"]), 1, /"a\.b".*'\.' and ':'/);
    assertOneLineError(await box.run("create-session", ["-n", "a:b"]), 1, /"a:b"/);
    assertOneLineError(await box.run("create-session", ["-n", "a\\b"]), 1, /escape '\\'/);
    for (const name of ["a\nb", "a\tb", "a\x1bb", "a\x7fb", "a\u0085b", "a\u2028b"]) {
      assertOneLineError(await box.run("create-session", ["-n", name]), 1, /control characters/);
    }
  });

  await t.step("nothing was created: no socket, no registry", async () => {
    equal(await exists(box.defaultSocket), false);
    equal(await exists(box.registryFile), false);
  });
});

Deno.test("create-session starts a session and registers its pane", async (t) => {
  await using box = await Sandbox.create();

  await t.step("default shell session: JSON in key order, nothing on stderr", async () => {
    const r = await box.run("create-session", ["-n", "web"]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    const created = json<Created>(r);
    assertEquals(Object.keys(created), [
      "name",
      "socket",
      "target",
      "type",
      "pid",
      "window",
      "registered",
    ]);
    assertEquals({ ...created, pid: 0 }, {
      name: "web",
      socket: box.defaultSocket,
      target: "web:0.0",
      type: "shell",
      pid: 0,
      window: "shell",
      registered: true,
    });
    equal(typeof created.pid, "number");
    const pane = await box.tmux(
      box.defaultSocket,
      "display",
      "-p",
      "-t",
      "=web:0.0",
      "#{pane_pid} #{window_name}",
    );
    equal(pane.trim(), `${created.pid} shell`);
    await waitUntil(
      async () =>
        (await box.tmux(
          box.defaultSocket,
          "display",
          "-p",
          "-t",
          "=web:0.0",
          "#{pane_current_command}",
        ))
          .trim() === "bash",
      { message: "bash in the pane" },
    );
  });

  await t.step("the registry entry holds socket, target, type, pid and timestamps", async () => {
    const entry = (await box.registry()).sessions.web;
    assertEquals(Object.keys(entry), [
      "socket",
      "target",
      "type",
      "created_at",
      "last_active",
      "pid",
    ]);
    equal(entry.socket, box.defaultSocket);
    equal(entry.target, "web:0.0");
    equal(entry.type, "shell");
    assertMatch(String(entry.created_at), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    equal(typeof entry.pid, "number");
  });

  await t.step("the socket dir is 0700 and claude.sock is its only socket", async () => {
    equal((await Deno.stat(box.socketDir)).mode! & 0o777, 0o700);
    const socks: string[] = [];
    for await (const e of Deno.readDir(box.socketDir)) {
      if (e.name.endsWith(".sock")) socks.push(e.name);
    }
    assertEquals(socks, ["claude.sock"]);
  });

  await t.step("a registered name: exit 2, 'already exists', no new session", async () => {
    const before = await Deno.readTextFile(box.registryFile);
    const other = box.socket("other.sock");
    const r = await box.run("create-session", ["-n", "web", "-S", other]);
    assertOneLineError(r, 2, /already exists/);
    equal(await tmuxSessions(box, other), null);
    equal(await Deno.readTextFile(box.registryFile), before);
  });

  await t.step("a tmux session of that name: exit 2, 'already exists'", async () => {
    await box.newSession(box.defaultSocket, "manual");
    const r = await box.run("create-session", ["-n", "manual"]);
    assertOneLineError(r, 2, /already exists/);
    equal((await box.registry()).sessions.manual, undefined);
  });

  await t.step("--no-register leaves the registry untouched", async () => {
    const before = await Deno.readTextFile(box.registryFile);
    const r = await box.run("create-session", ["-n", "loose", "--no-register", "-w", "work"]);
    equal(r.code, 0, r.stderr);
    const created = json<Created>(r);
    equal(created.registered, false);
    equal(created.window, "work");
    equal(created.target, "loose:0.0");
    equal(await Deno.readTextFile(box.registryFile), before);
    const window = await box.tmux(box.defaultSocket, "display", "-p", "-t", "=loose:", "#W");
    equal(window.trim(), "work");
  });

  await t.step("a relative -S is stored as an absolute path", async () => {
    const absolute = box.socket("rel.sock");
    const r = await box.run("create-session", ["-n", "rel", "-S", "rel.sock"], { cwd: box.root });
    equal(r.code, 0, r.stderr);
    equal(json<Created>(r).socket, absolute);
    equal((await box.registry()).sessions.rel.socket, absolute);
    assertEquals(await tmuxSessions(box, absolute), ["rel"]);
  });

  await t.step("any name is valid JSON and registered as given", async () => {
    const name = `q"uo'te $(touch x) \`y\` # é ☃ 𝄞 {}`;
    const r = await box.run("create-session", ["-n", name]);
    equal(r.code, 0, r.stderr);
    const created = json<Created>(r);
    equal(created.name, name);
    equal(created.target, `${name}:0.0`);
    equal((await box.registry()).sessions[name].target, `${name}:0.0`);
    assert((await tmuxSessions(box, box.defaultSocket))!.includes(name));
  });

  await t.step("a name tmux renames anyway: exit 1, the renamed session killed", async () => {
    const before = await Deno.readTextFile(box.registryFile);
    const sessions = await tmuxSessions(box, box.defaultSocket);
    // U+0378 is unassigned: tmux's width tables reject it and escape it as octal.
    const r = await box.run("create-session", ["-n", "odd\u0378"]);
    assertOneLineError(r, 1, /tmux renamed it to "odd\\\\315\\\\270"/);
    assertEquals(await tmuxSessions(box, box.defaultSocket), sessions);
    equal(await Deno.readTextFile(box.registryFile), before);
  });

  await t.step(
    "tmux failing to create (socket dir missing): exit 3, nothing registered",
    async () => {
      const before = await Deno.readTextFile(box.registryFile);
      const r = await box.run("create-session", [
        "-n",
        "nodir",
        "-S",
        join(box.root, "no", "x.sock"),
      ]);
      assertOneLineError(r, 3, /new-session/);
      equal(await Deno.readTextFile(box.registryFile), before);
    },
  );
});

Deno.test("create-session --python runs python3 -q with PYTHON_BASIC_REPL=1", async () => {
  await using box = await Sandbox.create();
  const r = await box.run("create-session", ["-n", "py", "--python"]);
  equal(r.code, 0, r.stderr);
  const created = json<Created>(r);
  equal(created.type, "python-repl");
  equal((await box.registry()).sessions.py.type, "python-repl");
  await waitUntil(
    async () =>
      (await box.tmux(box.defaultSocket, "capture-pane", "-p", "-t", "=py:0.0")).includes(">>>"),
    {
      message: "the >>> prompt",
    },
  );
  const screen = await box.tmux(box.defaultSocket, "capture-pane", "-p", "-t", "=py:0.0");
  assert(!/Python \d/.test(screen), `-q hides the banner:\n${screen}`);
  // The pane's process itself (python3, exec'd by any wrapper) carries the variable.
  const environ = await Deno.readTextFile(`/proc/${created.pid}/environ`);
  assert(environ.split("\0").includes("PYTHON_BASIC_REPL=1"));
  const cmdline = (await Deno.readTextFile(`/proc/${created.pid}/cmdline`)).split("\0");
  assertMatch(cmdline[0], /python3?[\d.]*$/);
  assert(cmdline.includes("-q"));
});

/** gdb is not among the machine's promised tools (tmux, python3, flock, jq): skip without it. */
const hasGdb = (Deno.env.get("PATH") ?? "").split(":").some((dir) => {
  try {
    return Deno.statSync(join(dir, "gdb")).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "create-session --gdb runs gdb as a debugger session",
  ignore: !hasGdb,
}, async () => {
  await using box = await Sandbox.create();
  const r = await box.run("create-session", ["-n", "dbg", "--gdb", "-w", "g"]);
  equal(r.code, 0, r.stderr);
  const created = json<Created>(r);
  equal(created.type, "debugger");
  equal(created.window, "g");
  await waitUntil(
    async () =>
      (await box.tmux(box.defaultSocket, "capture-pane", "-p", "-t", "=dbg:0.0")).includes("(gdb)"),
    {
      message: "the (gdb) prompt",
    },
  );
});

Deno.test("create-session registers the real target under base-index 1", async () => {
  await using box = await Sandbox.create();
  await Deno.writeTextFile(
    join(box.env.HOME, ".tmux.conf"),
    "set -g base-index 1\nsetw -g pane-base-index 1\n",
  );
  const r = await box.run("create-session", ["-n", "cfg"]);
  equal(r.code, 0, r.stderr);
  const created = json<Created>(r);
  equal(created.target, "cfg:1.1");
  equal((await box.registry()).sessions.cfg.target, "cfg:1.1");
  const pid = await box.tmux(box.defaultSocket, "display", "-p", "-t", "=cfg:1.1", "#{pane_pid}");
  equal(Number(pid.trim()), created.pid);
});

Deno.test("create-session leaves nothing behind when the registry can't be used", async (t) => {
  await using box = await Sandbox.create();

  await t.step("corrupt registry: exit 1 naming the file, unchanged, no tmux session", async () => {
    await box.writeRegistry("{ not json");
    const r = await box.run("create-session", ["-n", "c"]);
    assertOneLineError(
      r,
      1,
      new RegExp(`${box.registryFile.replace(/\./g, "\\.")}.*not valid JSON`),
    );
    equal(await Deno.readTextFile(box.registryFile), "{ not json");
    equal(await tmuxSessions(box, box.defaultSocket), null);
  });

  await t.step("wrong version: exit 1, unchanged", async () => {
    const text = '{"sessions": {}, "version": "2.0"}';
    await box.writeRegistry(text);
    assertOneLineError(await box.run("create-session", ["-n", "c"]), 1, /version/);
    equal(await Deno.readTextFile(box.registryFile), text);
  });

  await t.step("lock timeout: exit 75 naming the lock, session rolled back", async () => {
    await box.writeRegistry('{"sessions": {}, "version": "1.0"}\n');
    await box.newSession(box.defaultSocket, "keep");
    const lockFile = join(box.socketDir, ".sessions.lock");
    using lock = await Deno.open(lockFile, { create: true, write: true });
    await lock.lock(true);
    const r = await box.run("create-session", ["-n", "locked"], { env: { LOCK_TIMEOUT: "0.3" } });
    assertOneLineError(r, 75, new RegExp(`lock ${lockFile.replace(/\./g, "\\.")}`));
    assertEquals(await tmuxSessions(box, box.defaultSocket), ["keep"]);
    assertEquals((await box.registry()).sessions, {});
  });
});

Deno.test("create-session refuses a socket directory others can write: exit 1", async () => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir);
  await Deno.chmod(box.socketDir, 0o777);
  const r = await box.run("create-session", ["-n", "x"]);
  assertOneLineError(r, 1, /Refusing to use socket directory/);
  equal(await exists(box.defaultSocket), false);
});

Deno.test("create-session: 20 parallel creations all end up registered", async () => {
  await using box = await Sandbox.create();
  const names = Array.from({ length: 20 }, (_, i) => `par-${String(i).padStart(2, "0")}`);
  const results = await Promise.all(names.map((n) => box.run("create-session", ["-n", n])));
  for (const r of results) equal(r.code, 0, r.stderr);
  const data = JSON.parse(await Deno.readTextFile(box.registryFile));
  assertEquals(Object.keys(data.sessions).sort(), names);
  for (const n of names) equal(data.sessions[n].target, `${n}:0.0`);
  assertEquals((await tmuxSessions(box, box.defaultSocket))!.sort(), names);
});

Deno.test("create-session without tmux on PATH: a clear message, exit 1", async () => {
  await using box = await Sandbox.create();
  const r = await box.run("create-session", ["-n", "x"], { env: { PATH: "/nonexistent" } });
  assertOneLineError(r, 1, /tmux not found in PATH/);
});

Deno.test("create-session without CLAUDE_TMUX_SOCKET_DIR uses the documented defaults", async () => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const r = await box.run("create-session", ["-n", "dflt"]);
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
  equal(json<Created>(r).socket, join(box.env.TMPDIR, "claude-tmux-sockets", "claude.sock"));
  equal(
    (await box.registry()).sessions.dflt.socket,
    join(box.env.TMPDIR, "claude-tmux-sockets", "claude.sock"),
  );
  assertMatch(box.registryFile, /state\/claude-tmux\/\.sessions\.json$/);
});
