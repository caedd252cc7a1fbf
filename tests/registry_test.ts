import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  notEqual,
  ok,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
import { join } from "node:path";
import { RegistryInvalidError, UnsafePathError } from "../lib/errors.ts";
import {
  Registry,
  type RegistryData,
  serializeRegistry,
  sessionNames,
  writeAtomic,
} from "../lib/registry.ts";
import { staticPermissionFlags } from "../lib/permissions.ts";
import { runGuarded } from "./fixtures/guarded_run.ts";
import { json, pickToolkitEnv, rootStep, Sandbox } from "./helpers.ts";

const FIXTURE = new URL("./fixtures/registry_op.ts", import.meta.url).pathname;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** The registry file as parsed JSON, with its top-level extras. */
type RegistryDoc = Record<string, unknown> & { sessions: Record<string, Record<string, unknown>> };

function registryOf(box: Sandbox, extra: Record<string, string> = {}): Registry {
  return new Registry({ env: pickToolkitEnv(box.toolEnv(extra)), notice: () => {} });
}

async function jqPretty(file: string): Promise<string> {
  const out = await new Deno.Command("jq", { args: [".", file] }).output();
  equal(out.code, 0);
  return new TextDecoder().decode(out.stdout);
}

async function dirNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("registry file format and field rules", async (t) => {
  await using box = await Sandbox.create();
  const reg = registryOf(box);

  await t.step("a missing file reads as empty and is not created by reading", async () => {
    assertEquals(await reg.read(), { sessions: {}, version: "1.0" });
    await assertRejects(Deno.stat(box.registryFile), Deno.errors.NotFound);
  });

  await t.step("add writes jq-style 2-space JSON, 0600 in a 0700 folder", async () => {
    const entry = await reg.add("alpha", {
      socket: "/s/claude.sock",
      target: "alpha:0.0",
      type: "python-repl",
      pid: 4242,
    });
    assertMatch(entry.created_at, TIMESTAMP);
    equal(entry.last_active, entry.created_at);
    const text = await Deno.readTextFile(box.registryFile);
    equal(
      text,
      `{
  "sessions": {
    "alpha": {
      "socket": "/s/claude.sock",
      "target": "alpha:0.0",
      "type": "python-repl",
      "created_at": "${entry.created_at}",
      "last_active": "${entry.created_at}",
      "pid": 4242
    }
  },
  "version": "1.0"
}
`,
    );
    equal(text, await jqPretty(box.registryFile));
    equal((await Deno.stat(box.registryFile)).mode! & 0o777, 0o600);
    equal((await Deno.stat(box.socketDir)).mode! & 0o777, 0o700);
    assertEquals(await dirNames(box.socketDir), [".sessions.json", ".sessions.lock"]);
  });

  await t.step("pid is omitted when unknown", async () => {
    await reg.add("nopid", { socket: "/s", target: "nopid:0.0", type: "shell", pid: null });
    await reg.add("undef", { socket: "/s", target: "undef:0.0", type: "shell" });
    const data = await box.registry();
    equal("pid" in data.sessions.nopid, false);
    equal("pid" in data.sessions.undef, false);
  });

  await t.step("unknown fields survive; re-adding keeps created_at and extras", async () => {
    const data = await box.registry() as unknown as RegistryDoc;
    data.owner_tool = { name: "other", v: 2 };
    Object.assign(data.sessions.alpha, {
      created_at: "2020-01-02T03:04:05Z",
      last_active: "2020-01-02T03:04:05Z",
      note: "keep me",
      type: "old-type",
    });
    await box.writeRegistry(JSON.stringify(data, null, 2) + "\n");
    await reg.touch("nopid"); // a rewrite for another entry
    let now = await box.registry() as unknown as RegistryDoc;
    assertEquals(now.owner_tool, { name: "other", v: 2 });
    equal(now.sessions.alpha.note, "keep me");

    const entry = await reg.add("alpha", {
      socket: "/new.sock",
      target: "alpha:1.2",
      type: "shell",
    });
    now = await box.registry() as unknown as RegistryDoc;
    assertEquals(now.sessions.alpha, entry);
    assertEquals(Object.keys(entry), [
      "socket",
      "target",
      "type",
      "created_at",
      "last_active",
      "note",
    ]);
    equal(entry.created_at, "2020-01-02T03:04:05Z");
    notEqual(entry.last_active, "2020-01-02T03:04:05Z");
    equal(entry.socket, "/new.sock");
    equal(entry.target, "alpha:1.2");
    equal(entry.type, "shell");
    equal("pid" in entry, false, "an old pid is not kept when the new one is unknown");
    assertEquals(now.owner_tool, { name: "other", v: 2 });
    assertEquals(Object.keys(now), ["sessions", "version", "owner_tool"]);
  });

  await t.step("touch updates last_active of that entry only", async () => {
    const before = await box.registry();
    const data = structuredClone(before);
    data.sessions.nopid.last_active = "2001-01-01T00:00:00Z";
    await box.writeRegistry(JSON.stringify(data, null, 2) + "\n");
    await reg.touch("nopid");
    const after = await box.registry();
    assertMatch(String(after.sessions.nopid.last_active), TIMESTAMP);
    notEqual(after.sessions.nopid.last_active, "2001-01-01T00:00:00Z");
    assertEquals(after.sessions.alpha, before.sessions.alpha);
  });

  await t.step("remove deletes one entry; a missing name changes nothing", async () => {
    equal(await reg.remove("undef"), true);
    const text = await Deno.readTextFile(box.registryFile);
    equal(await reg.remove("undef"), false);
    equal(await reg.remove("alpha", "/other.sock"), false, "not on that socket");
    equal(await Deno.readTextFile(box.registryFile), text);
    assertEquals(sessionNames(await reg.read()), ["alpha", "nopid"]);
  });

  await t.step("names are plain keys: __proto__, constructor, toString", async () => {
    const before = await Deno.readTextFile(box.registryFile);
    equal(await reg.remove("toString"), false);
    await reg.touch("hasOwnProperty");
    equal(await Deno.readTextFile(box.registryFile), before, "inherited names are not entries");
    await reg.add("__proto__", { socket: "/p", target: "__proto__:0.0", type: "shell" });
    await reg.add("constructor", { socket: "/c", target: "constructor:0.0", type: "shell" });
    const data = await reg.read();
    ok(Object.hasOwn(data.sessions, "__proto__"));
    ok(Object.hasOwn(data.sessions, "constructor"));
    equal(Object.getPrototypeOf(data.sessions), Object.prototype);
    equal(JSON.parse(await Deno.readTextFile(box.registryFile)).sessions.__proto__.socket, "/p");
    equal(await reg.remove("__proto__"), true);
    equal(Object.hasOwn((await reg.read()).sessions, "__proto__"), false);
  });

  await t.step("session names sort by code point, as jq keys does", async () => {
    const names = ["b", "B", "a", "é", "Z", "a-1", "a_1", "10", "9", "😀", "ｚ"];
    const data: RegistryData = { sessions: {}, version: "1.0" };
    for (const n of names) {
      data.sessions[n] = { socket: "", target: "", type: "", created_at: "", last_active: "" };
    }
    const file = join(box.root, "keys.json");
    await Deno.writeTextFile(file, serializeRegistry(data));
    const jq = await new Deno.Command("jq", { args: ["-c", ".sessions | keys", file] }).output();
    assertEquals(sessionNames(data), JSON.parse(new TextDecoder().decode(jq.stdout)));
  });

  await t.step("serialization matches jq for awkward strings", async () => {
    const data = {
      sessions: {
        'q"uo\\te': {
          socket: "/tmp/a b/ü/claude.sock",
          target: "x:0.0",
          type: "tab\there\nnewline\u0001ctl",
          created_at: "",
          last_active: "",
        },
      },
      version: "1.0",
      nested: { list: [1, 2.5, true, null, {}], empty: [] },
    } as unknown as RegistryData;
    const file = join(box.root, "awkward.json");
    await Deno.writeTextFile(file, serializeRegistry(data));
    equal(serializeRegistry(data), await jqPretty(file));
  });
});

Deno.test("an unusable registry is reported and never overwritten", async (t) => {
  await using box = await Sandbox.create();
  const reg = registryOf(box);
  const cases: [string, string | Uint8Array, RegExp][] = [
    ["not JSON", '{"sessions": {', /not valid JSON/],
    ["empty file", "", /file is empty/],
    ["wrong version", '{"sessions": {}, "version": "2.0"}\n', /'version' is "2\.0", not "1\.0"/],
    ["no version", '{"sessions": {}}\n', /'version' is undefined, not "1\.0"/],
    ["sessions an array", '{"sessions": [], "version": "1.0"}\n', /'sessions' is not an object/],
    ["no sessions", '{"version": "1.0"}\n', /'sessions' is missing/],
    ["top level an array", "[]\n", /top level is not an object/],
    ["not UTF-8", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not valid UTF-8/],
  ];
  for (const [label, content, problem] of cases) {
    await t.step(label, async () => {
      await Deno.mkdir(box.socketDir, { recursive: true, mode: 0o700 });
      if (typeof content === "string") await Deno.writeTextFile(box.registryFile, content);
      else await Deno.writeFile(box.registryFile, content);
      const before = await Deno.readFile(box.registryFile);
      for (
        const op of [
          () => reg.read(),
          () => reg.add("x", { socket: "/s", target: "x:0.0", type: "shell" }),
          () => reg.remove("a"),
          () => reg.touch("a"),
        ]
      ) {
        const error = await op().then(() => undefined, (e) => e);
        ok(error instanceof RegistryInvalidError, `${label}: got ${error}`);
        equal(error.file, box.registryFile);
        assertMatch(error.problem, problem);
        assertMatch(error.message, new RegExp(`^Registry ${box.registryFile} is unusable: `));
        equal(error.message.includes("\n"), false);
      }
      assertEquals(await Deno.readFile(box.registryFile), before);
      assertEquals(await dirNames(box.socketDir), [".sessions.json", ".sessions.lock"]);
    });
  }

  await t.step("a registry path that is a directory", async () => {
    await Deno.remove(box.registryFile);
    await Deno.mkdir(box.registryFile);
    const error = await reg.add("x", { socket: "/s", target: "x", type: "shell" }).then(
      () => undefined,
      (e) => e,
    );
    ok(error instanceof RegistryInvalidError, `got ${error}`);
    assertMatch(error.message, /is a directory/);
    await assertRejects(reg.read(), RegistryInvalidError);
    await Deno.remove(box.registryFile);
  });

  await t.step("a tool process reports the file and problem on one stderr line", async () => {
    await Deno.writeTextFile(box.registryFile, "garbage\n");
    const r = await box.run("list-sessions", ["read"], { script: FIXTURE });
    equal(r.code, 1);
    equal(
      r.stderr,
      `RegistryInvalidError: Registry ${box.registryFile} is unusable: not valid JSON ` +
        `(left unchanged)\n`,
    );
    equal(await Deno.readTextFile(box.registryFile), "garbage\n");
  });
});

Deno.test("registry writes are atomic and clean up temp files", async (t) => {
  await using box = await Sandbox.create();
  const reg = registryOf(box);
  await reg.add("a", { socket: "/s", target: "a:0.0", type: "shell" });

  await t.step("a dead writer's temp files are removed by the next writer", async () => {
    const stale = [".sessions.json.tmp.99999.abc12", ".sessions.json.tmp.1.z"];
    for (const name of stale) await Deno.writeTextFile(join(box.socketDir, name), "partial");
    const unrelated = [".sessions.json.tmp.keep", "notes.txt", ".sessions.json.bak"];
    for (const name of unrelated) await Deno.writeTextFile(join(box.socketDir, name), "mine");
    await reg.read(); // readers take no lock and clean nothing
    ok((await dirNames(box.socketDir)).includes(stale[0]));
    await reg.touch("a");
    assertEquals(
      await dirNames(box.socketDir),
      [".sessions.json", ".sessions.lock", ...unrelated].sort(),
    );
  });

  await t.step("no temp file is left when the rename fails", async () => {
    const before = await dirNames(box.socketDir);
    const error = await reg.update((data) => {
      // Make the final rename fail: the registry path becomes a non-empty directory.
      Deno.removeSync(box.registryFile);
      Deno.mkdirSync(join(box.registryFile, "blocker"), { recursive: true });
      data.sessions.b = { socket: "/b.sock", target: "b:0.0" };
    }).then(() => undefined, (e) => e);
    ok(error instanceof Error, "the rename failed");
    assertEquals(await dirNames(box.socketDir), before);
    await Deno.remove(box.registryFile, { recursive: true });
  });

  await t.step("nothing is written when the update function throws", async () => {
    await reg.add("a", { socket: "/s", target: "a:0.0", type: "shell" });
    const before = await Deno.readFile(box.registryFile);
    await assertRejects(
      reg.update((data) => {
        delete data.sessions.a;
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assertEquals(await Deno.readFile(box.registryFile), before);
  });

  await t.step("a planted symlink at the temp name is never followed", async () => {
    const victim = join(box.root, "victim.txt");
    await Deno.writeTextFile(victim, "precious\n");
    const target = join(box.socketDir, "out.json");
    const temp = `${target}.tmp.1.planted`;
    await Deno.symlink(victim, temp);
    assertThrows(
      () => writeAtomic(target, "evil\n", { tempName: temp }),
      Deno.errors.AlreadyExists,
    );
    equal(await Deno.readTextFile(victim), "precious\n");
    ok((await Deno.lstat(temp)).isSymlink, "someone else's file is left alone");
    await assertRejects(Deno.stat(target), Deno.errors.NotFound);
    await Deno.remove(temp);
  });
});

Deno.test("registry location: REGISTRY_FILE, CLAUDE_TMUX_REGISTRY, REGISTRY_LOCK", async (t) => {
  await using box = await Sandbox.create();

  await t.step("REGISTRY_FILE and its lock beside it", async () => {
    const file = join(box.root, "reg1", "r.json");
    await registryOf(box, { REGISTRY_FILE: file }).add("x", {
      socket: "/s",
      target: "x",
      type: "shell",
    });
    assertEquals(await dirNames(join(box.root, "reg1")), [".sessions.lock", "r.json"]);
    await assertRejects(Deno.stat(box.registryFile), Deno.errors.NotFound);
  });

  await t.step("CLAUDE_TMUX_REGISTRY is an alias", async () => {
    const file = join(box.root, "reg2", "r.json");
    await registryOf(box, { CLAUDE_TMUX_REGISTRY: file }).add("y", {
      socket: "/s",
      target: "y",
      type: "shell",
    });
    assertEquals(Object.keys(JSON.parse(await Deno.readTextFile(file)).sessions), ["y"]);
  });

  await t.step("REGISTRY_LOCK places the lock elsewhere", async () => {
    const file = join(box.root, "reg3", "r.json");
    const lock = join(box.root, "locks3", "my.lock");
    await registryOf(box, { REGISTRY_FILE: file, REGISTRY_LOCK: lock }).add("z", {
      socket: "/s",
      target: "z",
      type: "shell",
    });
    assertEquals(await dirNames(join(box.root, "reg3")), ["r.json"]);
    assertEquals(await dirNames(join(box.root, "locks3")), ["my.lock"]);
  });
});

Deno.test("the old default registry is imported once into a new XDG registry", async (t) => {
  const legacyText = JSON.stringify(
    {
      sessions: {
        old1: {
          socket: "/o.sock",
          target: "old1:0.0",
          type: "shell",
          created_at: "2024-01-01T00:00:00Z",
          last_active: "2024-01-01T00:00:00Z",
          pid: 7,
          extra: "x",
        },
        old2: {
          socket: "/o.sock",
          target: "old2:0.0",
          type: "debugger",
          created_at: "2024-01-01T00:00:00Z",
          last_active: "2024-01-01T00:00:00Z",
        },
      },
      version: "1.0",
    },
    null,
    2,
  ) + "\n";

  async function withLegacy(box: Sandbox, text: string): Promise<string> {
    const dir = join(box.env.TMPDIR, "claude-tmux-sockets");
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(join(dir, ".sessions.json"), text, { mode: 0o600 });
    return join(dir, ".sessions.json");
  }

  await t.step("first use imports (one notice), later uses do not", async () => {
    await using box = await Sandbox.create({ socketDirEnv: false });
    const legacy = await withLegacy(box, legacyText);
    const notices: string[] = [];
    const reg = new Registry({
      env: pickToolkitEnv(box.toolEnv()),
      notice: (m) => notices.push(m),
    });
    equal(reg.file, join(box.env.XDG_STATE_HOME, "claude-tmux", ".sessions.json"));
    const data = await reg.read();
    assertEquals(sessionNames(data), ["old1", "old2"]);
    assertEquals(data.sessions.old1, JSON.parse(legacyText).sessions.old1);
    assertEquals(notices, [
      `Imported 2 session(s) from old registry ${legacy} into ${reg.file}`,
    ]);
    equal(await Deno.readTextFile(reg.file), legacyText);
    await reg.remove("old1");
    await reg.read();
    assertEquals(sessionNames(await reg.read()), ["old2"], "not imported again");
    equal(notices.length, 1);
    equal(await Deno.readTextFile(legacy), legacyText, "the old file is left as it was");
  });

  await t.step("a tool process with its declared permissions imports too", async () => {
    await using box = await Sandbox.create({ socketDirEnv: false });
    await withLegacy(box, legacyText);
    const r = await box.run("list-sessions", ["read"], { script: FIXTURE });
    equal(r.code, 0, r.stderr);
    assertEquals(json(r), ["old1", "old2"]);
    assertMatch(r.stderr, /^Imported 2 session\(s\) from old registry .*\n$/);
    const again = await box.run("list-sessions", ["read"], { script: FIXTURE });
    equal(again.stderr, "");
  });

  await t.step("nothing to import: no notice, and the check happens once", async () => {
    await using box = await Sandbox.create({ socketDirEnv: false });
    const text = '{"sessions": {}, "version": "1.0"}\n';
    const legacy = await withLegacy(box, text);
    const notices: string[] = [];
    const reg = new Registry({
      env: pickToolkitEnv(box.toolEnv()),
      notice: (m) => notices.push(m),
    });
    assertEquals(await reg.read(), { sessions: {}, version: "1.0" });
    assertEquals(notices, []);
    equal(await Deno.readTextFile(reg.file), serializeRegistry({ sessions: {}, version: "1.0" }));
    equal(await Deno.readTextFile(legacy), text);
  });

  // Refused like every other path, and said once (the new registry is created all the same).
  const refusals: [string, (box: Sandbox, legacy: string) => Promise<void>, RegExp][] = [
    [
      "an invalid old registry",
      (_, legacy) => Deno.writeTextFile(legacy, "not json\n"),
      /: not valid JSON$/,
    ],
    [
      "an old registry owned by another user",
      (_, legacy) => Deno.chown(legacy, 65534, 65534),
      /: Refusing to use old registry .*: owned by uid 65534/,
    ],
    [
      "an old registry in a folder others can write",
      (box) => Deno.chmod(join(box.env.TMPDIR, "claude-tmux-sockets"), 0o777),
      /: Refusing to use old registry directory .*: writable by group and others/,
    ],
  ];
  for (const [label, spoil, problem] of refusals) {
    // Only root can chown a file to another user.
    const step = label.includes("another user") ? rootStep : (
      t: Deno.TestContext,
      name: string,
      fn: (t: Deno.TestContext) => Promise<void>,
    ) => t.step(name, fn);
    await step(t, `${label} is not imported, and said so once`, async () => {
      await using box = await Sandbox.create({ socketDirEnv: false });
      const legacy = await withLegacy(box, legacyText);
      await spoil(box, legacy);
      const notices: string[] = [];
      const reg = new Registry({
        env: pickToolkitEnv(box.toolEnv()),
        notice: (m) => notices.push(m),
      });
      assertEquals(sessionNames(await reg.read()), []);
      equal(notices.length, 1, notices.join("\n"));
      assertMatch(
        notices[0],
        new RegExp(`^Old registry ${legacy} not imported \\(not tried again\\)`),
      );
      assertMatch(notices[0], problem);
      assertEquals(sessionNames(await reg.read()), []);
      await reg.add("n", { socket: "/s", target: "n", type: "shell" });
      equal(notices.length, 1, "said once");
    });
  }

  for (
    const [form, flags] of [
      ["shebang", () => staticPermissionFlags("list-sessions")],
      ["scoped", undefined],
    ] as const
  ) {
    await t.step(
      `a tool process (${form} permissions) refuses an old folder others can write, says it once`,
      async () => {
        await using box = await Sandbox.create({ socketDirEnv: false });
        await withLegacy(box, legacyText);
        await Deno.chmod(join(box.env.TMPDIR, "claude-tmux-sockets"), 0o777);
        const options = flags ? { script: FIXTURE, flags } : { script: FIXTURE };
        const r = await runGuarded(box, "list-sessions", ["read"], options);
        equal(r.code, 0, r.stderr);
        assertEquals(json(r), []);
        assertMatch(r.stderr, /^Old registry .* not imported \(not tried again\): Refusing .*\n$/);
        const again = await runGuarded(box, "list-sessions", ["read"], options);
        assertEquals([again.code, again.stderr], [0, ""]);
      },
    );
  }

  await t.step("never with CLAUDE_TMUX_SOCKET_DIR set", async () => {
    await using box = await Sandbox.create();
    await withLegacy(box, legacyText);
    const notices: string[] = [];
    const reg = new Registry({
      env: pickToolkitEnv(box.toolEnv()),
      notice: (m) => notices.push(m),
    });
    assertEquals(await reg.read(), { sessions: {}, version: "1.0" });
    await reg.add("n", { socket: "/s", target: "n", type: "shell" });
    assertEquals(sessionNames(await reg.read()), ["n"]);
    assertEquals(notices, []);
  });
});

Deno.test("the registry refuses files and folders others control", async (t) => {
  await using box = await Sandbox.create();
  const reg = registryOf(box);
  await reg.add("a", { socket: "/s", target: "a:0.0", type: "shell" });
  const before = await Deno.readFile(box.registryFile);

  async function refused(pattern: RegExp): Promise<void> {
    for (
      const op of [
        () => reg.read(),
        () => reg.add("b", { socket: "/s", target: "b", type: "shell" }),
      ]
    ) {
      const error = await op().then(() => undefined, (e) => e);
      ok(error instanceof UnsafePathError, `got ${error}`);
      assertMatch(error.message, pattern);
      equal(error.message.includes("\n"), false);
    }
    assertEquals(await Deno.readFile(box.registryFile), before);
  }

  await rootStep(t, "registry owned by another user", async () => {
    await Deno.chown(box.registryFile, 65534, 65534);
    await refused(
      new RegExp(`^Refusing to use registry ${box.registryFile}: owned by uid 65534, not by you`),
    );
    await Deno.chown(box.registryFile, Deno.uid(), Deno.gid());
  });

  await t.step("registry writable by others", async () => {
    await Deno.chmod(box.registryFile, 0o666);
    await refused(/^Refusing to use registry .*: writable by group and others \(mode 0666\)/);
    await Deno.chmod(box.registryFile, 0o644);
    await reg.read(); // 0644 (how jq > file leaves it) is fine
  });

  await rootStep(t, "registry folder owned by another user", async () => {
    await Deno.chown(box.socketDir, 65534, 65534);
    await refused(
      new RegExp(`^Refusing to use registry directory ${box.socketDir}: owned by uid 65534`),
    );
    await Deno.chown(box.socketDir, Deno.uid(), Deno.gid());
  });

  await t.step("registry folder group-writable", async () => {
    await Deno.chmod(box.socketDir, 0o770);
    await refused(/^Refusing to use registry directory .*: writable by group \(mode 0770\)/);
    await Deno.chmod(box.socketDir, 0o700);
    await reg.add("b", { socket: "/s", target: "b", type: "shell" });
  });
});
