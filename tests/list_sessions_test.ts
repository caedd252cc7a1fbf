import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { wrappedTmux } from "./fixtures/broken_tmux.ts";
import { json, Sandbox, waitUntil } from "./helpers.ts";

/** 2025-11-24T16:00:00Z */
const NOW = "1764000000";

/** What the original's `printf "%-20s ..."` of `${value:0:20}` cells prints, by bash itself. */
async function bashRow(cells: string[]): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      'printf "%-20s %-20s %-20s %-10s %-8s %-15s\\n" "${1:0:20}" "${2:0:20}" "${3:0:20}" "$4" "$5" "$6"',
      "_",
      ...cells,
    ],
    env: { LC_ALL: "C.UTF-8" },
    clearEnv: true,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("list-sessions pads cells as bash's printf does: by bytes", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket("s\u00f3ck-\u{1F50C}.sock"); // no server there: status "server"
  const names = [
    "caf\u00e9",
    "\u{1F600}-smile",
    "\u65e5\u672c\u8a9e\u306e\u30bb\u30c3\u30b7\u30e7\u30f3\u540d\u524d\u30c6\u30b9\u30c8\u9577\u3044\u540d\u524d\u3067\u3059",
    "plain",
  ];
  const sessions: Record<string, unknown> = {};
  for (const name of names) {
    sessions[name] = {
      socket: sock,
      target: `${name}:0.0`,
      type: "shell",
      created_at: "2025-11-24T15:59:30Z",
      last_active: "2025-11-24T15:59:30Z",
    };
  }
  await box.writeSessions(sessions);
  const r = await box.run("list-sessions", [], { env: { NOW_EPOCH: NOW } });
  equal(r.code, 0, r.stderr);
  const sorted = [...names].sort();
  const rows = await Promise.all(
    sorted.map((name) =>
      bashRow([name, "s\u00f3ck-\u{1F50C}.sock", `${name}:0.0`, "server", "-", "30s ago"])
    ),
  );
  const lines = r.stdout.split("\n");
  equal(lines.slice(2, 2 + names.length).map((l) => l + "\n").join(""), rows.join(""));
});

Deno.test("list-sessions prints the table byte for byte", async (t) => {
  await using box = await Sandbox.create();
  const live = await box.liveServer();
  const gone = box.socket("a-very-long-socket-name-gone.sock");
  await box.writeRegistry(JSON.stringify(
    {
      sessions: {
        "on-gone-server": {
          socket: gone,
          target: "on-gone-server:0.0",
          type: "debugger",
          created_at: "2025-11-17T15:59:55Z",
          last_active: "2025-11-17T15:59:55Z",
          pid: 1,
        },
        "dies": {
          socket: live,
          target: "dies:0.0",
          type: "python-repl",
          created_at: "2025-11-24T15:33:55Z",
          last_active: "2025-11-24T15:33:55Z",
          pid: 77,
        },
        "alive-one": {
          socket: live,
          target: "alive-one:0.0",
          type: "shell",
          created_at: "2025-11-24T15:59:30Z",
          last_active: "2025-11-24T15:59:30Z",
          pid: 4242,
        },
        "missing-session-with-a-long-name": {
          socket: live,
          target: "missing-session-with-a-long-name:0.0",
          type: "shell",
          created_at: "2025-11-24T10:58:20+0000",
          last_active: "2025-11-24T10:58:20+0000",
        },
        "no-socket": { type: "shell", created_at: "2025-11-24T15:59:30Z" },
        "Zed-garbage": {
          socket: live,
          target: "alive-one:0.0",
          type: "shell",
          created_at: "yesterday",
          last_active: "yesterday",
          pid: 12345678,
        },
      },
      version: "1.0",
    },
    null,
    2,
  ));

  await t.step("rows sorted by code point, values cut, dashes under headers", async () => {
    const r = await box.run("list-sessions", [], { env: { NOW_EPOCH: NOW } });
    assertEquals(r.stderr, "");
    assertEquals(r.code, 0);
    assertEquals(
      r.stdout,
      [
        "NAME                 SOCKET               TARGET               STATUS     PID      CREATED        ",
        "----                 ------               ------               ------     ---      -------        ",
        "Zed-garbage          live.sock            alive-one:0.0        alive      12345678 unknown        ",
        "alive-one            live.sock            alive-one:0.0        alive      4242     30s ago        ",
        "dies                 live.sock            dies:0.0             dead       77       26m ago        ",
        "missing-session-with live.sock            missing-session-with missing    -        5h ago         ",
        "no-socket            -                    -                    invalid    -        30s ago        ",
        "on-gone-server       a-very-long-socket-n on-gone-server:0.0   server     1        7d ago         ",
        "",
        "Total: 6 | Alive: 2 | Dead: 4",
        "",
      ].join("\n"),
    );
  });

  await t.step("JSON: documented key order, statuses, pid number or null", async () => {
    const r = await box.run("list-sessions", ["--json"], { env: { NOW_EPOCH: NOW } });
    assertEquals(r.stderr, "");
    assertEquals(r.code, 0);
    const out = json<{ sessions: Record<string, unknown>[] }>(r);
    assertEquals(Object.keys(out), ["sessions", "total", "alive", "dead"]);
    assertEquals(out, { ...out, total: 6, alive: 2, dead: 4 });
    for (const s of out.sessions) {
      assertEquals(Object.keys(s), [
        "name",
        "socket",
        "socket_basename",
        "target",
        "type",
        "status",
        "pid",
        "created_at",
        "last_active",
        "program",
        "activity",
      ]);
    }
    assertEquals(
      out.sessions.map((s) => [s.name, s.status, s.pid]),
      [
        ["Zed-garbage", "alive", 12345678],
        ["alive-one", "alive", 4242],
        ["dies", "dead", 77],
        ["missing-session-with-a-long-name", "missing", null],
        ["no-socket", "invalid", null],
        ["on-gone-server", "server", 1],
      ],
    );
    assertEquals(out.sessions[5], {
      name: "on-gone-server",
      socket: gone,
      socket_basename: "a-very-long-socket-name-gone.sock",
      target: "on-gone-server:0.0",
      type: "debugger",
      status: "server",
      pid: 1,
      created_at: "2025-11-17T15:59:55Z",
      last_active: "2025-11-17T15:59:55Z",
      program: null,
      activity: null,
    });
    // Pretty-printed with two spaces, as JSON.stringify(x, null, 2).
    assertEquals(r.stdout, JSON.stringify(out, null, 2) + "\n");
  });

  await t.step("listing reads only: the registry is unchanged", async () => {
    const before = await Deno.readTextFile(box.registryFile);
    await box.run("list-sessions", ["--json"]);
    assertEquals(await Deno.readTextFile(box.registryFile), before);
  });
});

Deno.test("list-sessions sorts names by code point, not by locale", async () => {
  await using box = await Sandbox.create();
  const gone = box.socket("gone.sock");
  const entry = { socket: gone, target: "x:0.0", type: "shell", created_at: "", last_active: "" };
  const sessions = Object.fromEntries(["é", "b", "Z", "a"].map((n) => [n, entry]));
  await box.writeRegistry(JSON.stringify({ sessions, version: "1.0" }));
  const r = await box.run("list-sessions", ["--json"]);
  assertEquals(r.code, 0);
  const out = json<{ sessions: { name: string; status: string }[]; alive: number; dead: number }>(
    r,
  );
  assertEquals(out.sessions.map((s) => s.name), ["Z", "a", "b", "é"]);
  assertEquals(out.sessions.map((s) => s.status), ["server", "server", "server", "server"]);
  assertEquals([out.alive, out.dead], [0, 4]);
});

function okEntry(socket: string, target = "ok:0.0") {
  return {
    socket,
    target,
    type: "shell",
    created_at: "2025-11-24T15:59:30Z",
    last_active: "2025-11-24T15:59:30Z",
  };
}

Deno.test("list-sessions says unknown when tmux fails on a socket", async () => {
  await using box = await Sandbox.create();
  const live = box.socket("live.sock");
  await box.newSession(live, "ok");
  const broken = box.socket("broken.sock");
  const { path } = await wrappedTmux(box);
  await box.writeRegistry(JSON.stringify({
    sessions: { "on-broken": okEntry(broken), "on-live": okEntry(live) },
    version: "1.0",
  }));
  const r = await box.run("list-sessions", ["--json"], { env: { PATH: path } });
  assertEquals(r.stderr, "");
  assertEquals(r.code, 0);
  const out = json<{ sessions: { name: string; status: string }[]; alive: number; dead: number }>(
    r,
  );
  assertEquals(out.sessions.map((s) => [s.name, s.status]), [
    ["on-broken", "unknown"],
    ["on-live", "alive"],
  ]);
  assertEquals([out.alive, out.dead], [1, 1]);
});

Deno.test("list-sessions makes one list-panes call per socket, not per session", async () => {
  await using box = await Sandbox.create();
  const live = box.socket("live.sock");
  await box.newSession(live, "ok");
  const gone = box.socket("gone.sock");
  const { path, log } = await wrappedTmux(box);
  const sessions: Record<string, unknown> = {};
  for (let i = 0; i < 5; i++) sessions[`live-${i}`] = okEntry(live, i === 0 ? "ok:0.0" : `s${i}`);
  for (let i = 0; i < 3; i++) sessions[`gone-${i}`] = okEntry(gone);
  await box.writeRegistry(JSON.stringify({ sessions, version: "1.0" }));
  const r = await box.run("list-sessions", [], { env: { PATH: path } });
  assertEquals([r.code, r.stderr], [0, ""]);
  assertMatch(r.stdout, /\nTotal: 8 \| Alive: 1 \| Dead: 7\n$/);
  const calls = (await Deno.readTextFile(log)).trimEnd().split("\n").sort();
  assertEquals(calls.length, 2, calls.join("\n"));
  assert(calls[0].startsWith(`-S ${gone} list-panes -a -F `), calls[0]);
  assert(calls[1].startsWith(`-S ${live} list-panes -a -F `), calls[1]);
});

Deno.test("list-sessions with an empty registry", async (t) => {
  await using box = await Sandbox.create();

  await t.step("no registry file: table and JSON, nothing created", async () => {
    const table = await box.run("list-sessions", []);
    assertEquals([table.code, table.stdout, table.stderr], [0, "No sessions registered.\n", ""]);
    const j = await box.run("list-sessions", ["--json"]);
    assertEquals([j.code, j.stdout, j.stderr], [
      0,
      `{"sessions": [], "total": 0, "alive": 0, "dead": 0}\n`,
      "",
    ]);
    await Deno.stat(box.registryFile).then(
      () => assert(false, "registry file was created"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  });

  await t.step("a registry with no sessions", async () => {
    await box.writeRegistry(`{"sessions": {}, "version": "1.0"}`);
    const j = await box.run("list-sessions", ["--json"]);
    assertEquals([j.code, j.stdout], [0, `{"sessions": [], "total": 0, "alive": 0, "dead": 0}\n`]);
    const table = await box.run("list-sessions", []);
    assertEquals([table.code, table.stdout], [0, "No sessions registered.\n"]);
  });
});

Deno.test("list-sessions refuses an unusable registry and leaves it unchanged", async (t) => {
  await using box = await Sandbox.create();
  const cases = {
    "not JSON": `{"sessions": {`,
    "wrong version": `{"sessions": {}, "version": "2.0"}`,
    "sessions not an object": `{"sessions": [], "version": "1.0"}`,
  };
  for (const [label, text] of Object.entries(cases)) {
    await t.step(label, async () => {
      await box.writeRegistry(text);
      for (const args of [[], ["--json"]]) {
        const r = await box.run("list-sessions", args);
        equal(r.code, 1);
        equal(r.stdout, "");
        assertMatch(r.stderr, /^[^\n]+\n$/);
        assert(r.stderr.includes(box.registryFile), r.stderr);
        equal(await Deno.readTextFile(box.registryFile), text);
      }
    });
  }
});

Deno.test("list-sessions help and bad options", async (t) => {
  await using box = await Sandbox.create();

  await t.step("-h and --help: usage with examples on stdout, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await box.run("list-sessions", [flag]);
      assertEquals([r.code, r.stderr], [0, ""]);
      assertMatch(r.stdout, /^Usage: list-sessions\.sh /);
      assertMatch(r.stdout, /Examples:\n {2}list-sessions\.sh/);
    }
  });

  await t.step(
    "unknown option or a stray argument: the original's line, usage on stdout",
    async () => {
      const usage = (await box.run("list-sessions", ["--help"])).stdout;
      for (const args of [["--bogus"], ["-x"], ["extra"]]) {
        const r = await box.run("list-sessions", args);
        assertEquals([r.code, r.stderr, r.stdout], [
          1,
          `Error: Unknown option: ${args[0]}\n`,
          usage,
        ]);
      }
      const r = await box.run("list-sessions", ["--json=yes"]);
      assertEquals([r.code, r.stdout], [1, ""]);
      assertMatch(r.stderr, /^Error: [^\n]+\n$/);
    },
  );

  await t.step("tmux missing from PATH: a clear message, exit 1", async () => {
    const gone = box.socket("gone.sock");
    await box.writeRegistry(JSON.stringify({
      sessions: { a: { socket: gone, target: "a:0.0", type: "shell" } },
      version: "1.0",
    }));
    const r = await box.run("list-sessions", [], { env: { PATH: join(box.root, "empty-bin") } });
    assertEquals([r.code, r.stdout], [1, ""]);
    assertMatch(r.stderr, /^Error: tmux not found in PATH[^\n]*\n$/);
  });
});

Deno.test("list-sessions --json: each pane's foreground program, busy or idle; the table as before", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "sh", ["env", "PS1=$ ", "bash", "--norc", "--noprofile"]);
  await box.newSession(sock, "py", ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"]);
  await box.newSession(sock, "pager", ["env", "PS1=$ ", "bash", "--norc", "--noprofile"]);
  await box.writeRegistry(JSON.stringify({
    sessions: {
      sh: okEntry(sock, "sh:0.0"),
      py: { ...okEntry(sock, "py:0.0"), type: "python-repl" },
      pager: okEntry(sock, "pager:0.0"),
      gone: okEntry(sock, "gone:0.0"),
    },
    version: "1.0",
  }));
  const programOf = async (target: string) =>
    (await box.tmux(sock, "display", "-p", "-t", target, "#{pane_current_command}")).trim();
  await waitUntil(async () => (await programOf("=py:")).startsWith("python"));
  await box.tmux(sock, "send-keys", "-t", "=pager:", "sleep 300 | less", "Enter");
  await waitUntil(async () => (await programOf("=pager:")) !== "bash");
  const r = await box.run("list-sessions", ["--json"]);
  assertEquals(r.code, 0, r.stderr);
  const out = json<{ sessions: Record<string, unknown>[] }>(r);
  assertEquals(
    out.sessions.map((s) => [s.name, s.status, s.program, s.activity]),
    [
      ["gone", "missing", null, null],
      ["pager", "alive", await programOf("=pager:"), "busy"],
      ["py", "alive", await programOf("=py:"), "idle"],
      ["sh", "alive", "bash", "idle"],
    ],
  );
  const table = await box.run("list-sessions", []);
  assertEquals(table.code, 0);
  assertEquals(
    table.stdout.split("\n")[0],
    "NAME                 SOCKET               TARGET               STATUS     PID      CREATED        ",
  );
  assertEquals(table.stdout.includes("busy") || table.stdout.includes("idle"), false);
});
