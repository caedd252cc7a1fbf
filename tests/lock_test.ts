import { bashWriter } from "./fixtures/bash_writer.ts";
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { RegistryLockTimeoutError } from "../lib/errors.ts";
import { withLock } from "../lib/lock.ts";
import { Registry } from "../lib/registry.ts";
import { pickToolkitEnv, Sandbox, waitUntil } from "./helpers.ts";

const FIXTURE = new URL("./fixtures/registry_op.ts", import.meta.url).pathname;
const EMPTY = '{\n  "sessions": {},\n  "version": "1.0"\n}\n';

/** A bash process that takes the lock as the bash tools do: `flock 200>FILE`. */
class FlockHolder implements AsyncDisposable {
  #output = "";
  #done: Promise<unknown>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;

  private constructor(readonly child: Deno.ChildProcess) {
    this.#writer = child.stdin.getWriter();
    this.#done = child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (this.#output += chunk) }),
    );
  }

  /** Starts `script` (bash; `$LOCK` and `$REG` set) and waits until it says `locked`. */
  static async start(
    lockFile: string,
    script: string,
    env: Record<string, string> = {},
  ): Promise<FlockHolder> {
    const child = new Deno.Command("bash", {
      args: ["-c", `exec 200>"$LOCK"; flock -x 200 || exit 9; echo locked\n${script}`],
      env: { ...env, LOCK: lockFile },
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const holder = new FlockHolder(child);
    await holder.waitFor("locked");
    return holder;
  }

  /** Waits until the holder printed `text`. */
  async waitFor(text: string): Promise<void> {
    await waitUntil(() => this.#output.includes(text), { message: `holder to say ${text}` });
  }

  /** Sends one line to the holder's `read`. */
  async send(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes its stdin (its last `read` fails, it exits and the lock is released). */
  async release(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.child.status;
    await this.#done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch { /* exited */ }
    await this.release();
  }
}

function settledFlag(promise: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  promise.then(() => (state.settled = true), () => (state.settled = true));
  return state;
}

Deno.test("withLock runs one holder at a time and releases afterwards", async () => {
  await using box = await Sandbox.create();
  const lockFile = join(box.root, "locks", ".sessions.lock");
  let inside = 0;
  let maxInside = 0;
  const order: number[] = [];
  await Promise.all(
    [1, 2, 3, 4, 5].map((n) =>
      withLock(lockFile, { timeoutSeconds: 10 }, async () => {
        maxInside = Math.max(maxInside, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        order.push(n);
        inside--;
      })
    ),
  );
  equal(maxInside, 1);
  assertEquals([...order].sort(), [1, 2, 3, 4, 5]);
  // Released: a bash flock with no wait gets it at once.
  const r = await new Deno.Command("bash", {
    args: ["-c", 'exec 200>"$1"; flock -n 200', "_", lockFile],
  }).output();
  equal(r.code, 0);
  equal((await Deno.stat(join(box.root, "locks"))).mode! & 0o777, 0o700);
});

Deno.test("the registry lock excludes the bash tools' flock", async (t) => {
  await using box = await Sandbox.create();
  const env = pickToolkitEnv(box.toolEnv());
  const reg = new Registry({ env, notice: () => {} });
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  await Deno.writeTextFile(box.registryFile, EMPTY, { mode: 0o600 });
  const lockFile = reg.paths.lockFile;
  equal(lockFile, join(box.socketDir, ".sessions.lock"));

  await t.step("an update waits while bash holds flock, then sees bash's write", async () => {
    // The holder writes an entry the way the bash tools do, while holding the lock.
    await using holder = await FlockHolder.start(
      lockFile,
      `read go
tmp=$(mktemp "$REG.XXXXXX")
jq '.sessions["from-bash"] = {"socket": "/b.sock", "target": "from-bash:0.0", "type": "shell"}' \\
  "$REG" > "$tmp" && mv "$tmp" "$REG" && echo written
read release`,
      { REG: box.registryFile },
    );
    const adding = reg.add("from-deno", {
      socket: "/d.sock",
      target: "from-deno:0.0",
      type: "shell",
    });
    const state = settledFlag(adding);
    await holder.send("go");
    await holder.waitFor("written");
    equal(state.settled, false, "the update did not finish while the lock was held");
    await holder.send("release");
    await adding;
    assertEquals(Object.keys((await box.registry()).sessions), ["from-bash", "from-deno"]);
  });

  await t.step("held past LOCK_TIMEOUT: RegistryLockTimeoutError naming the lock", async () => {
    const before = await Deno.readFile(box.registryFile);
    const quick = new Registry({ env: { ...env, LOCK_TIMEOUT: "1" }, notice: () => {} });
    await using _holder = await FlockHolder.start(lockFile, "read release");
    const error = await quick.add("late", { socket: "/s", target: "late:0.0", type: "shell" })
      .then(() => undefined, (e) => e);
    ok(error instanceof RegistryLockTimeoutError, `got ${error}`);
    equal(error.lockFile, lockFile);
    equal(error.timeoutSeconds, 1);
    equal(
      error.message,
      `Timed out after 1s waiting for registry lock ${lockFile} (held by another process (flock))`,
    );
    assertEquals(await Deno.readFile(box.registryFile), before);
  });

  await t.step("an AbortSignal ends the wait for a held lock", async () => {
    await using _holder = await FlockHolder.start(lockFile, "read release");
    const controller = new AbortController();
    const waiting = withLock(lockFile, { timeoutSeconds: 60, signal: controller.signal }, () => {
      throw new Error("must not run");
    });
    const state = settledFlag(waiting);
    controller.abort();
    const error = await waiting.then(() => undefined, (e) => e);
    ok(state.settled);
    equal((error as Error).name, "AbortError");
  });
});

Deno.test("a bash tools' directory lock is waited for, reported, never removed", async (t) => {
  await using box = await Sandbox.create();
  const env = pickToolkitEnv(box.toolEnv());
  const lockDir = join(box.socketDir, ".sessions.lock");
  const owner = join(lockDir, "owner");
  await Deno.mkdir(lockDir, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(owner, "4242 buildhost\n");

  await t.step("an update waits until the directory goes away", async () => {
    const reg = new Registry({ env, notice: () => {} });
    const adding = reg.add("after-dir", { socket: "/s", target: "after-dir:0.0", type: "shell" });
    const state = settledFlag(adding);
    // Two process round trips: far longer than an unblocked update takes.
    for (let i = 0; i < 2; i++) await new Deno.Command("true").output();
    equal(state.settled, false, "the update did not go ahead under a directory lock");
    await Deno.remove(lockDir, { recursive: true }); // the bash tool finished
    await adding;
    assertEquals(Object.keys((await box.registry()).sessions), ["after-dir"]);
    ok((await Deno.stat(join(box.socketDir, ".sessions.lock"))).isFile, "flock file now");
    await Deno.remove(join(box.socketDir, ".sessions.lock"));
  });

  await t.step("held past the timeout: the error names the lock and its owner", async () => {
    await Deno.mkdir(lockDir, { mode: 0o700 });
    await Deno.writeTextFile(owner, "4242 buildhost\n");
    const reg = new Registry({ env: { ...env, LOCK_TIMEOUT: "0.2" }, notice: () => {} });
    const error = await reg.touch("after-dir").then(() => undefined, (e) => e);
    ok(error instanceof RegistryLockTimeoutError, `got ${error}`);
    equal(
      error.message,
      `Timed out after 0.2s waiting for registry lock ${lockDir} ` +
        `(directory lock of the bash tools, owner: 4242 buildhost)`,
    );
    ok((await Deno.stat(owner)).isFile, "the lock is left in place");
  });

  await t.step("older than the timeout: reported as stale with its owner, kept", async () => {
    const old = new Date(Date.now() - 120_000);
    await Deno.utime(lockDir, old, old);
    const reg = new Registry({ env: { ...env, LOCK_TIMEOUT: "1" }, notice: () => {} });
    const error = await reg.touch("after-dir").then(() => undefined, (e) => e);
    ok(error instanceof RegistryLockTimeoutError, `got ${error}`);
    assertMatch(
      error.message,
      new RegExp(
        `registry lock ${lockDir} \\(stale directory lock of the bash tools, 1[12]\\ds old, ` +
          `owner: 4242 buildhost; remove ${lockDir}/ if that process is gone\\)$`,
      ),
    );
    ok((await Deno.stat(owner)).isFile, "a stale lock is still never deleted");
  });
});

Deno.test("30 concurrent Deno writers and bash flock writers lose no entry", async () => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  const lockFile = join(box.socketDir, ".sessions.lock");
  const env = { LOCK_TIMEOUT: "60" };
  const deno = Array.from({ length: 30 }, (_, i) => `deno-${String(i).padStart(2, "0")}`);
  const bash = ["bash-a", "bash-b", "bash-c"];
  const [denoResults, bashResults] = await Promise.all([
    Promise.all(
      deno.map((name, i) =>
        box.run("create-session", ["add", name, String(1000 + i)], { script: FIXTURE, env })
      ),
    ),
    Promise.all(bash.map((name) => bashWriter(lockFile, box.registryFile, name))),
  ]);
  for (const r of denoResults) equal(r.code, 0, r.stderr);
  for (const r of bashResults) equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const data = await box.registry();
  assertEquals(Object.keys(data.sessions).sort(), [...bash, ...deno].sort());
  equal(data.sessions["deno-07"].pid, 1007);
  equal(data.version, "1.0");
  // No temp file of either kind is left behind.
  const names: string[] = [];
  for await (const e of Deno.readDir(box.socketDir)) names.push(e.name);
  assertEquals(names.sort(), [".sessions.json", ".sessions.lock"]);
});
