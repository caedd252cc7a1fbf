import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { join } from "node:path";
import { wrappedTmux } from "./fixtures/broken_tmux.ts";
import type { RegistryData } from "../lib/registry.ts";
import { Server } from "../lib/server.ts";
import { selectForCleanup } from "../lib/sessions.ts";
import { isoTimestamp } from "../lib/time.ts";
import { Sandbox } from "./helpers.ts";

/** 2025-11-24T16:00:00Z */
const NOW = "1764000000";

/** The registry timestamp of `seconds` ago, by the clock (cleanup ages go by the clock). */
function ago(seconds: number): string {
  return isoTimestamp(new Date(Date.now() - seconds * 1000));
}

function entry(socket: string, target: string, createdAt: string, extra = {}) {
  return { socket, target, type: "shell", created_at: createdAt, last_active: createdAt, ...extra };
}

async function hasSession(box: Sandbox, socket: string, name: string): Promise<boolean> {
  return (await box.tmuxRaw(socket, "has-session", "-t", `=${name}`)).code === 0;
}

async function registryText(box: Sandbox): Promise<string> {
  return await Deno.readTextFile(box.registryFile);
}

Deno.test("cleanup-sessions removes registry entries and never kills tmux sessions", async (t) => {
  await using box = await Sandbox.create();
  const live = await box.liveServer();
  const gone = box.socket("gone.sock");
  await box.writeRegistry(JSON.stringify(
    {
      sessions: {
        "alive-young": entry(live, "alive-one:0.0", ago(1800), { note: "keep me" }),
        "alive-58m": entry(live, "alive-one:0.0", ago(58 * 60)),
        "alive-old": entry(live, "alive-one:0.0", ago(7200).replace("Z", "+0000")),
        "alive-garbage": entry(live, "alive-one:0.0", "not a date"),
        "dies": entry(live, "dies:0.0", ago(1800)),
        "dead-old": entry(live, "dies:0.0", ago(4 * 86400)),
        "missing": entry(live, "nosuch:0.0", ago(1800)),
        "on-gone": entry(gone, "on-gone:0.0", ago(1800)),
      },
      version: "1.0",
      owner: "other-tool",
    },
    null,
    2,
  ));
  // NOW_EPOCH only changes the age list-sessions shows: it must not move what cleanup removes.
  const env = { NOW_EPOCH: NOW };
  const run = (args: string[]) => box.run("cleanup-sessions", args, { env });

  await t.step("dry run: lists the unhealthy entries, changes nothing, needs no lock", async () => {
    const before = await registryText(box);
    const r = await run(["--dry-run"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(
      r.stdout,
      "Dry-run mode: Would remove 4 session(s):\n" +
        "  - dead-old (dead/missing/zombie)\n" +
        "  - dies (dead/missing/zombie)\n" +
        "  - missing (dead/missing/zombie)\n" +
        "  - on-gone (dead/missing/zombie)\n",
    );
    equal(await registryText(box), before);
    await Deno.stat(join(box.socketDir, ".sessions.lock")).then(
      () => assert(false, "a dry run took the lock"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  });

  await t.step("dry run --older-than: by the clock, garbage created_at is old", async () => {
    const r = await run(["--dry-run", "--older-than", "1h"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(
      r.stdout,
      "Dry-run mode: Would remove 6 session(s):\n" +
        "  - alive-garbage (older than 1h)\n" +
        "  - alive-old (older than 1h)\n" +
        "  - dead-old (dead/missing/zombie + older than 1h)\n" +
        "  - dies (dead/missing/zombie)\n" +
        "  - missing (dead/missing/zombie)\n" +
        "  - on-gone (dead/missing/zombie)\n",
    );
    const under = await run(["--dry-run", "--older-than", "57m"]);
    assertMatch(under.stdout, /^ {2}- alive-58m \(older than 57m\)$/m);
    const over = await run(["--dry-run", "--older-than", "60m"]);
    assert(!over.stdout.includes("alive-58m"), over.stdout);
    // The original's bash arithmetic: a leading 0 is octal (070m is 56 minutes), 01h one hour.
    const octal = await run(["--dry-run", "--older-than", "070m"]);
    assertMatch(octal.stdout, /^ {2}- alive-58m \(older than 070m\)$/m);
    equal(
      (await run(["--dry-run", "--older-than", "01h"])).stdout,
      r.stdout.replaceAll("1h", "01h"),
    );
    const unset = await box.run("cleanup-sessions", ["--dry-run", "--older-than", "1h"]);
    equal(unset.stdout, r.stdout, "NOW_EPOCH changed which entries are old");
  });

  await t.step("dry run --all: every entry, in name order", async () => {
    const r = await run(["--dry-run", "--all"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    const names = [
      "alive-58m",
      "alive-garbage",
      "alive-old",
      "alive-young",
      "dead-old",
      "dies",
      "missing",
      "on-gone",
    ];
    equal(
      r.stdout,
      "Dry-run mode: Would remove 8 session(s):\n" +
        names.map((n) => `  - ${n} (all sessions mode)\n`).join(""),
    );
  });

  await t.step("default: removes dead, missing and server-gone entries only", async () => {
    const r = await run([]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(
      r.stdout,
      "Removing 4 session(s):\n" +
        "  - dead-old (dead/missing/zombie)\n" +
        "  - dies (dead/missing/zombie)\n" +
        "  - missing (dead/missing/zombie)\n" +
        "  - on-gone (dead/missing/zombie)\n" +
        "Removed 4 session(s) successfully.\n",
    );
    const reg = await box.registry() as unknown as Record<string, unknown> & {
      sessions: Record<string, Record<string, unknown>>;
    };
    assertEquals(Object.keys(reg.sessions).sort(), [
      "alive-58m",
      "alive-garbage",
      "alive-old",
      "alive-young",
    ]);
    equal(reg.owner, "other-tool");
    equal(reg.version, "1.0");
    equal(reg.sessions["alive-young"].note, "keep me");
    assert(await hasSession(box, live, "dies"), "the dead session was killed");
    assert(await hasSession(box, live, "alive-one"), "the live session was killed");
  });

  await t.step("nothing left to remove: says so and leaves the file as it was", async () => {
    const before = await registryText(box);
    for (const args of [[], ["--older-than", "0s"]]) {
      const r = await run(args);
      assertEquals([r.code, r.stdout, r.stderr], [0, "No sessions to clean up.\n", ""]);
    }
    equal(await registryText(box), before);
  });

  await t.step("--older-than 1h removes the old and the undatable entries", async () => {
    const r = await run(["--older-than", "1h"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(
      r.stdout,
      "Removing 2 session(s):\n" +
        "  - alive-garbage (older than 1h)\n" +
        "  - alive-old (older than 1h)\n" +
        "Removed 2 session(s) successfully.\n",
    );
    assertEquals(Object.keys((await box.registry()).sessions).sort(), [
      "alive-58m",
      "alive-young",
    ]);
  });

  await t.step("--all --older-than 0s removes every entry, kills nothing", async () => {
    const r = await run(["--all", "--older-than", "0s"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(
      r.stdout,
      "Removing 2 session(s):\n" +
        "  - alive-58m (all sessions mode)\n" +
        "  - alive-young (all sessions mode)\n" +
        "Removed 2 session(s) successfully.\n",
    );
    assertEquals((await box.registry()).sessions, {});
    assert(await hasSession(box, live, "alive-one"), "--all killed a tmux session");
    assert(await hasSession(box, live, "dies"), "--all killed a tmux session");
  });

  await t.step("empty registry, then no registry file at all", async () => {
    for (const args of [[], ["--all"], ["--dry-run"]]) {
      const r = await run(args);
      assertEquals([r.code, r.stdout, r.stderr], [0, "No sessions in registry.\n", ""]);
    }
    await Deno.remove(box.registryFile);
    const r = await run([]);
    assertEquals([r.code, r.stdout, r.stderr], [0, "No sessions in registry.\n", ""]);
    await Deno.stat(box.registryFile).then(
      () => assert(false, "registry file was created"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  });
});

Deno.test("the age filter is strict: an entry exactly D old is not older than D", async () => {
  await using box = await Sandbox.create();
  const gone = box.socket("gone.sock"); // no server: every entry is unhealthy
  const data: RegistryData = {
    sessions: {
      exact: entry(gone, "exact:0.0", "2025-11-24T15:00:00Z"),
      over: entry(gone, "over:0.0", "2025-11-24T14:59:59Z"),
    },
    version: "1.0",
  };
  const items = await selectForCleanup(data, {
    all: false,
    olderThanSeconds: 3600,
    olderThanLabel: "1h",
    nowEpoch: Number(NOW),
  }, (path) => new Server({ path }));
  assertEquals(items, [
    { name: "exact", reason: "dead/missing/zombie" },
    { name: "over", reason: "dead/missing/zombie + older than 1h" },
  ]);
});

Deno.test("cleanup-sessions keeps an entry whose health can't be decided", async () => {
  await using box = await Sandbox.create();
  const { path } = await wrappedTmux(box);
  await box.writeRegistry(JSON.stringify({
    sessions: {
      "on-broken": entry(box.socket("broken.sock"), "a:0.0", "2025-11-24T15:30:00Z"),
      "on-gone": entry(box.socket("gone.sock"), "on-gone:0.0", "2025-11-24T15:30:00Z"),
    },
    version: "1.0",
  }));
  const env = { NOW_EPOCH: NOW, PATH: path };
  const r = await box.run("cleanup-sessions", [], { env });
  assertEquals([r.code, r.stderr], [0, ""]);
  equal(
    r.stdout,
    "Removing 1 session(s):\n  - on-gone (dead/missing/zombie)\nRemoved 1 session(s) successfully.\n",
  );
  assertEquals(Object.keys((await box.registry()).sessions), ["on-broken"]);
  const old = await box.run("cleanup-sessions", ["--older-than", "10m"], { env });
  equal(
    old.stdout,
    "Removing 1 session(s):\n  - on-broken (older than 10m)\nRemoved 1 session(s) successfully.\n",
  );
});

Deno.test("cleanup-sessions rejects bad input with exit 1", async (t) => {
  await using box = await Sandbox.create();
  const text = JSON.stringify({
    sessions: { a: entry(box.socket("gone.sock"), "a:0.0", "2025-11-24T15:30:00Z") },
    version: "1.0",
  });
  await box.writeRegistry(text);

  await t.step("invalid durations: two-line message, nothing removed", async () => {
    for (const d of ["1x", "10", "h", "1.5h", "-1h", "1H", " 1h", "1h ", ""]) {
      const r = await box.run("cleanup-sessions", ["--older-than", d]);
      assertEquals(
        [r.code, r.stdout, r.stderr],
        [1, "", `Error: Invalid duration format: ${d}\nUse format like: 30m, 2h, 1d\n`],
        JSON.stringify(d),
      );
    }
    equal(await registryText(box), text);
  });

  await t.step("missing value, unknown option, stray argument", async () => {
    for (const args of [["--older-than"], ["--all=yes"]]) {
      const r = await box.run("cleanup-sessions", args);
      assertEquals([r.code, r.stdout], [1, ""], args.join(" "));
      assertMatch(r.stderr, /^Error: [^\n]+\n$/);
    }
    // As the original: `Error: Unknown option: X`, then the usage on stdout.
    const usage = (await box.run("cleanup-sessions", ["--help"])).stdout;
    for (const args of [["--bogus"], ["-x"], ["extra"]]) {
      const r = await box.run("cleanup-sessions", args);
      assertEquals([r.code, r.stderr, r.stdout], [1, `Error: Unknown option: ${args[0]}\n`, usage]);
    }
    equal(await registryText(box), text);
  });

  await t.step("-h and --help: usage with examples, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await box.run("cleanup-sessions", [flag]);
      assertEquals([r.code, r.stderr], [0, ""]);
      assertMatch(r.stdout, /^Usage: cleanup-sessions\.sh /);
      assertMatch(r.stdout, /Examples:\n {2}cleanup-sessions\.sh/);
    }
  });
});

Deno.test("cleanup-sessions refuses an unusable registry and leaves it unchanged", async (t) => {
  await using box = await Sandbox.create();
  const cases = {
    "not JSON": `{"sessions": {`,
    "wrong version": `{"sessions": {"a": {}}, "version": "0.9"}`,
    "sessions not an object": `{"sessions": "a", "version": "1.0"}`,
  };
  for (const [label, text] of Object.entries(cases)) {
    await t.step(label, async () => {
      await box.writeRegistry(text);
      for (const args of [[], ["--all"], ["--dry-run"]]) {
        const r = await box.run("cleanup-sessions", args);
        equal(r.code, 1);
        equal(r.stdout, "");
        assertMatch(r.stderr, /^[^\n]+\n$/);
        assert(r.stderr.includes(box.registryFile), r.stderr);
        equal(await registryText(box), text);
      }
    });
  }
});

Deno.test("cleanup-sessions and the registry lock", async (t) => {
  await using box = await Sandbox.create();
  const live = box.socket("live.sock");
  await box.newSession(live, "alive-one");
  const gone = box.socket("gone.sock");
  const lockFile = join(box.socketDir, ".sessions.lock");
  const original = JSON.stringify({
    sessions: {
      x: entry(gone, "x:0.0", "2025-11-24T15:30:00Z"),
      y: entry(gone, "y:0.0", "2025-11-24T15:30:00Z"),
    },
    version: "1.0",
  });
  await box.writeRegistry(original);
  const lock = await Deno.open(lockFile, { read: true, write: true, create: true });
  await lock.lock(true);
  try {
    await t.step("lock held elsewhere: exit 75 naming the lock, nothing removed", async () => {
      const r = await box.run("cleanup-sessions", [], { env: { LOCK_TIMEOUT: "0.3" } });
      equal(r.code, 75);
      equal(r.stdout, "");
      assertMatch(r.stderr, /^[^\n]+\n$/);
      assert(r.stderr.includes(lockFile), r.stderr);
      equal(await registryText(box), original);
    });

    await t.step("a dry run does not wait for the lock", async () => {
      const r = await box.run("cleanup-sessions", ["--dry-run"], { env: { LOCK_TIMEOUT: "0" } });
      assertEquals([r.code, r.stderr], [0, ""]);
      equal(
        r.stdout,
        "Dry-run mode: Would remove 2 session(s):\n" +
          "  - x (dead/missing/zombie)\n" +
          "  - y (dead/missing/zombie)\n",
      );
    });

    await t.step("an entry re-created while cleanup waits for the lock is kept", async () => {
      // The lock file is opened only after cleanup has read the registry; see it open.
      const watcher = Deno.watchFs(lockFile);
      const events = watcher[Symbol.asyncIterator]();
      const pending = box.run("cleanup-sessions", [], { env: { LOCK_TIMEOUT: "30" } });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waited = await Promise.race([
        events.next().then(() => "opened"),
        pending.then((r) => `ended first: ${JSON.stringify(r)}`),
        new Promise((resolve) => timer = setTimeout(() => resolve("never opened"), 10_000)),
      ]);
      clearTimeout(timer);
      watcher.close();
      equal(waited, "opened");
      // Meanwhile, "x" was re-created on a live server (as create-session would).
      const data = JSON.parse(original);
      data.sessions.x = entry(live, "alive-one:0.0", "2025-11-24T15:30:00Z");
      await Deno.writeTextFile(box.registryFile, JSON.stringify(data, null, 2));
      await lock.unlock();
      const r = await pending;
      assertEquals([r.code, r.stderr], [0, ""]);
      equal(
        r.stdout,
        "Removing 1 session(s):\n" +
          "  - y (dead/missing/zombie)\n" +
          "Removed 1 session(s) successfully.\n",
      );
      assertEquals(Object.keys((await box.registry()).sessions), ["x"]);
      equal((await box.registry()).sessions.x.socket, live);
    });
  } finally {
    lock.close();
  }
});
