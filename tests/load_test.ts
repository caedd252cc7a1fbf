/**
 * Load: many writers at once on one registry lose nothing, a writer held off
 * past LOCK_TIMEOUT fails with exit 75 naming the lock, and the bash tools'
 * directory lock is waited for and reported, never removed.
 * (tests/lock_test.ts proves the lock primitives; this file drives the tools.)
 */
import { bashWriter } from "./fixtures/bash_writer.ts";
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { RegistryLockTimeoutError } from "../lib/errors.ts";
import { parseRegistry, Registry } from "../lib/registry.ts";
import {
  assertCleanFailure,
  clientsOf,
  figure,
  runGuarded,
  spawnGuarded,
} from "./fixtures/guarded_run.ts";
import { pickToolkitEnv, Sandbox, testEntry } from "./helpers.ts";

const WRITER = new URL("./fixtures/registry_writer.ts", import.meta.url).pathname;
const pad2 = (i: number) => String(i).padStart(2, "0");

async function dirNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

Deno.test("50 writers at once (tools, library calls, bash flock writers) lose no entry", async () => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  const sock = box.socket("load.sock");
  const lockFile = join(box.socketDir, ".sessions.lock");
  const env = { LOCK_TIMEOUT: "60" };
  const registry = new Registry({ env: pickToolkitEnv(box.toolEnv(env)), notice: () => {} });
  const toolNames = Array.from({ length: 15 }, (_, i) => `tool-${pad2(i)}`);
  const libNames = Array.from({ length: 20 }, (_, i) => `lib-${pad2(i)}`);
  const bashNames = Array.from({ length: 15 }, (_, i) => `bash-${pad2(i)}`);

  // A reader parses the file over and over meanwhile: it must never see a torn file.
  let reads = 0;
  let storming = true;
  const reader = (async () => {
    while (storming) {
      let text: string;
      try {
        text = await Deno.readTextFile(box.registryFile);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      parseRegistry(text, box.registryFile);
      reads++;
    }
  })();

  const started = performance.now();
  const [tools, libs, bashes] = await Promise.all([
    Promise.all(
      toolNames.map((n) => runGuarded(box, "create-session", ["-n", n, "-S", sock], { env })),
    ),
    Promise.all(
      libNames.map((n, i) =>
        registry.add(n, { socket: "/lib.sock", target: `${n}:0.0`, type: "shell", pid: 100 + i })
      ),
    ),
    Promise.all(bashNames.map((n) => bashWriter(lockFile, box.registryFile, n))),
  ]);
  const elapsed = performance.now() - started;
  storming = false;
  await reader;

  for (const r of tools) equal(r.code, 0, r.stderr);
  for (const r of bashes) equal(r.code, 0, new TextDecoder().decode(r.stderr));
  equal(libs.length, libNames.length);
  const data = parseRegistry(await Deno.readTextFile(box.registryFile), box.registryFile) as {
    sessions: Record<string, Record<string, unknown>>;
  };
  assertEquals(
    Object.keys(data.sessions).sort(),
    [...bashNames, ...libNames, ...toolNames].sort(),
    "every writer's entry is there",
  );
  for (const n of toolNames) {
    equal(data.sessions[n].target, `${n}:0.0`);
    equal(data.sessions[n].socket, sock);
    equal(typeof data.sessions[n].pid, "number");
  }
  equal(data.sessions["lib-07"].pid, 107);
  equal(data.sessions["bash-03"].socket, "/bash.sock");
  const sessions = (await box.tmux(sock, "list-sessions", "-F", "#{session_name}")).trim();
  assertEquals(sessions.split("\n").sort(), toolNames, "one tmux session per create-session");
  equal(await clientsOf(box, sock), "", "no tool left a client attached");
  // (.ctmux: the sessions' output logs, which create-session starts.)
  assertEquals(
    (await dirNames(box.socketDir)).filter((name) => name !== ".ctmux"),
    [".sessions.json", ".sessions.lock"],
    "no temp file",
  );
  ok(reads > 0, "the reader read while the writers wrote");
  figure(
    `load: 50 writers (15 create-session, 20 library, 15 bash flock) in ${
      Math.round(elapsed)
    } ms, ` +
      `50/50 entries kept, ${reads} concurrent reads all valid JSON`,
  );
});

/** Holds the registry lock the way the bash tools do, until released. */
interface LockHolder extends AsyncDisposable {
  /** What the lock timeout message says about the holder. */
  described: RegExp;
  /** Whether the holder's lock is still in place afterwards (a directory lock is never removed). */
  stillThere(): Promise<boolean>;
}

async function flockHolder(lockFile: string): Promise<LockHolder> {
  const child = new Deno.Command("bash", {
    args: ["-c", 'exec 200>"$1"; flock -x 200 || exit 9; echo locked; read -r _', "_", lockFile],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("flock holder ended");
    said += value;
  }
  return {
    described: /\(held by another process \(flock\)\)/,
    stillThere: async () => {
      const r = await new Deno.Command("flock", { args: ["-n", lockFile, "true"] }).output();
      return r.code !== 0;
    },
    async [Symbol.asyncDispose]() {
      await child.stdin.close().catch(() => {});
      await child.status;
      reader.releaseLock();
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/**
 * A bash tools' directory lock with an `owner` file. One older than the lock
 * timeout counts as stale; a live one gets a modification time ahead of the
 * clock, so it stays fresh however slowly the tools under test start.
 */
async function directoryHolder(lockFile: string, state: "live" | "stale"): Promise<LockHolder> {
  await Deno.mkdir(lockFile, { mode: 0o700 });
  await Deno.writeTextFile(join(lockFile, "owner"), "4242 buildhost\n");
  const mtime = new Date(Date.now() + (state === "live" ? 3600 : -600) * 1000);
  await Deno.utime(lockFile, mtime, mtime);
  const path = lockFile.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    described: state === "stale"
      ? new RegExp(
        `\\(stale directory lock of the bash tools, \\d+s old, owner: 4242 buildhost; ` +
          `remove ${path}/ if that process is gone\\)`,
      )
      : /\(directory lock of the bash tools, owner: 4242 buildhost\)/,
    stillThere: async () => (await Deno.stat(join(lockFile, "owner"))).isFile,
    async [Symbol.asyncDispose]() {
      await Deno.remove(lockFile, { recursive: true });
    },
  };
}

Deno.test("a writer held off past LOCK_TIMEOUT fails naming the lock; readers go on", async (t) => {
  const holders: [string, (lock: string) => Promise<LockHolder>][] = [
    ["bash flock", flockHolder],
    ["bash directory lock", (lock) => directoryHolder(lock, "live")],
    ["stale bash directory lock", (lock) => directoryHolder(lock, "stale")],
  ];
  for (const [label, hold] of holders) {
    await t.step(label, async () => {
      await using box = await Sandbox.create();
      const sock = box.socket("held.sock");
      await box.newSession(sock, "victim");
      await box.newSession(sock, "keep");
      const entry = (name: string) => testEntry(sock, `${name}:0.0`);
      await box.writeSessions({ keep: entry("keep"), victim: entry("victim") });
      const before = await Deno.readFile(box.registryFile);
      const lockFile = join(box.socketDir, ".sessions.lock");
      const env = { LOCK_TIMEOUT: "0.5" };
      const timedOut = (holder: LockHolder) =>
        new RegExp(
          `Timed out after 0\\.5s waiting for registry lock ${lockFile.replace(/\./g, "\\.")} ` +
            holder.described.source,
        );
      {
        await using holder = await hold(lockFile);

        const [create, cleanup, kill, list, health] = await Promise.all([
          runGuarded(box, "create-session", ["-n", "late", "-S", sock], { env }),
          runGuarded(box, "cleanup-sessions", ["--all"], { env }),
          runGuarded(box, "kill-session", ["-s", "victim"], { env }),
          runGuarded(box, "list-sessions", ["--json"], { env }),
          runGuarded(box, "pane-health", ["-s", "keep"], { env }),
        ]);
        assertCleanFailure(create, { code: 75, stderr: timedOut(holder) }, "create-session");
        const names = (await box.tmux(sock, "list-sessions", "-F", "#{session_name}")).trim();
        assertEquals(names.split("\n"), ["keep"], "create-session rolled its session back");
        assertCleanFailure(cleanup, { code: 75, stderr: timedOut(holder) }, "cleanup-sessions");
        // Documented: the tmux session went, the entry could not: exit 1 (one of two done).
        assertCleanFailure(kill, {
          code: 1,
          lines: 3,
          emptyStdout: false,
          stderr: new RegExp(
            `^registry: ${timedOut(holder).source}\n` +
              ` {2}\u2717 Failed to remove from registry\n` +
              `Warning: Partial removal of session 'victim'\n$`,
          ),
        }, "kill-session");
        // Readers take no lock, and the last_active touch gives way to a busy lock.
        equal(list.code, 0, list.stderr);
        equal(list.stderr, "");
        equal(health.code, 0, health.stderr);
        equal(health.stderr, "");

        assertEquals(await Deno.readFile(box.registryFile), before, "nothing was written");
        ok(await holder.stillThere(), "the other tool's lock is left in place");
      }
      // Released: the same writer goes through.
      const after = await runGuarded(box, "create-session", ["-n", "late", "-S", sock], { env });
      equal(after.code, 0, after.stderr);
      assertEquals(Object.keys((await box.registry()).sessions).sort(), ["keep", "late", "victim"]);
    });
  }
});

Deno.test("writers wait out the bash tools' directory lock, then all finish", async () => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  await box.writeRegistry('{\n  "sessions": {},\n  "version": "1.0"\n}\n');
  const before = await Deno.readFile(box.registryFile);
  const lockFile = join(box.socketDir, ".sessions.lock");
  const holder = await directoryHolder(lockFile, "live");

  const writers = Array.from(
    { length: 20 },
    (_, i) =>
      spawnGuarded(box, "create-session", [`dw${pad2(i)}`, "1"], {
        script: WRITER,
        env: { LOCK_TIMEOUT: "60" },
      }),
  );
  await Promise.all(writers.map((w) => w.waitLines(1))); // each is past start-up, at the lock
  let ended = 0;
  for (const w of writers) w.result.then(() => ended++);

  // The lock is in force: a short-timeout writer times out on it, naming its owner...
  const probe = new Registry({
    env: pickToolkitEnv(box.toolEnv({ LOCK_TIMEOUT: "0.3" })),
    notice: () => {},
  });
  const error = await probe.add("probe", { socket: "/p", target: "p", type: "shell" })
    .then(() => undefined, (e) => e);
  ok(error instanceof RegistryLockTimeoutError, `got ${error}`);
  assertMatch(error.message, /directory lock of the bash tools, owner: 4242 buildhost/);
  // ...and in that time none of the 20 wrote or gave up.
  assertEquals(await Deno.readFile(box.registryFile), before);
  equal(ended, 0, "every writer is still waiting");

  await holder[Symbol.asyncDispose](); // the bash tool finished
  const results = await Promise.all(writers.map((w) => w.result));
  for (const r of results) equal(r.code, 0, r.stderr);
  const data = await box.registry();
  assertEquals(
    Object.keys(data.sessions).sort(),
    Array.from({ length: 20 }, (_, i) => `dw${pad2(i)}-0`),
  );
  assertEquals(await dirNames(box.socketDir), [".sessions.json", ".sessions.lock"]);
});
