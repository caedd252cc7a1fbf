import { equal, ok as assert, rejects } from "node:assert/strict";
import {
  capture,
  createSession,
  killSession,
  listSessions,
  openSession,
  OperationTimeoutError,
  paneHealth,
  Registry,
  run,
  safeSend,
  SessionNotFoundError,
  waitForText,
  watchPane,
} from "../mod.ts";
import { withDeadline } from "../lib/time.ts";
import { pickToolkitEnv, Sandbox } from "./helpers.ts";

/** A registry in the sandbox (the library otherwise reads the process environment). */
function registryOf(box: Sandbox): Registry {
  return new Registry({ env: pickToolkitEnv(box.env), notice: () => {} });
}

async function hasSession(box: Sandbox, sock: string, name: string): Promise<boolean> {
  return (await box.tmuxRaw(sock, "has-session", "-t", `=${name}`)).code === 0;
}

Deno.test("a session handle made with killOnDispose is killed and deregistered by await using", async () => {
  await using box = await Sandbox.create();
  const registry = registryOf(box);
  const socket = await box.server();
  {
    await using sh = await createSession({ name: "scoped", socket, registry, killOnDispose: true });
    equal(sh.target, "scoped:0.0");
    assert(await hasSession(box, socket, "scoped"));
    equal((await sh.health()).status, "healthy");
    assert(Object.hasOwn((await registry.read()).sessions, "scoped"));
  }
  equal(await hasSession(box, socket, "scoped"), false);
  equal(Object.hasOwn((await registry.read()).sessions, "scoped"), false);
});

Deno.test("the library runs, sends, waits, captures and lists through typed results", async (t) => {
  await using box = await Sandbox.create();
  const registry = registryOf(box);
  const socket = await box.server();
  await using sh = await createSession({ name: "lib-sh", socket, registry, killOnDispose: true });
  await using py = await createSession({
    name: "lib-py",
    kind: "python",
    socket,
    registry,
    killOnDispose: true,
  });

  await t.step("run in a shell gives the command's own output and exit status", async () => {
    const result = await run({ session: "lib-sh", command: "echo a; echo b; (exit 7)", registry });
    equal(result.kind, "completed");
    equal(result.output, "a\nb");
    equal(result.exitCode, 7);
  });

  await t.step("run in Python waits for the prompt and returns what was printed", async () => {
    equal((await py.waitFor(">>>", { timeoutMs: 10_000 })).kind, "matched");
    const result = await py.run("print(6*7)", { timeoutMs: 10_000 });
    equal(result.output, "42");
    equal(result.exitCode, 0);
  });

  await t.step("safeSend with a RegExp waits for output after the send", async () => {
    const outcome = await safeSend({
      session: "lib-sh",
      registry,
      text: "echo $((40+2))",
      waitFor: /^42$/,
      timeoutMs: 10_000,
    });
    equal(outcome.kind, "matched");
    if (outcome.kind === "matched") equal(outcome.line, "42");
  });

  await t.step("capture returns the pane's lines", async () => {
    const lines = await capture({ session: "lib-sh", registry, history: 100, join: true });
    assert(lines.includes("42"), lines.join("\n"));
  });

  await t.step(
    "waitForText ends as timed_out, and as cancelled when its signal aborts",
    async () => {
      const timedOut = await waitForText({
        session: "lib-sh",
        registry,
        pattern: "never-shown-text",
        timeoutMs: 300,
      });
      equal(timedOut.kind, "timed_out");
      const stop = new AbortController();
      const waiting = waitForText({
        session: "lib-sh",
        registry,
        pattern: "never-shown-text",
        timeoutMs: 30_000,
        signal: stop.signal,
      });
      stop.abort();
      equal((await waiting).kind, "cancelled");
    },
  );

  await t.step("listSessions reports both sessions alive, in name order", async () => {
    const sessions = await listSessions({ registry });
    equal(sessions.map((s) => `${s.name}:${s.status}`).join(" "), "lib-py:alive lib-sh:alive");
  });

  await t.step("watchPane yields the pane's new output as it arrives", async () => {
    // The outer bound only keeps a broken watch from hanging the suite.
    await using watch = await watchPane({
      session: "lib-sh",
      registry,
      signal: AbortSignal.timeout(10_000),
    });
    await sh.send("echo watched-$((6*7))");
    let seen = "";
    for await (const chunk of watch) {
      seen += chunk;
      if (seen.includes("watched-42")) break;
    }
    assert(seen.includes("watched-42"), seen);
  });

  await t.step(
    "openSession finds a registered session; an unknown name is a typed error",
    async () => {
      const same = await openSession({ session: "lib-py", registry });
      equal(same.type, "python-repl");
      await rejects(openSession({ session: "nope", registry }), SessionNotFoundError);
    },
  );

  await t.step("an operation past its timeoutMs rejects with OperationTimeoutError", async () => {
    await rejects(paneHealth({ target: "lib-sh", socket, timeoutMs: 0 }), OperationTimeoutError);
    await rejects(
      withDeadline(
        "idle",
        { timeoutMs: 10 },
        (signal) =>
          new Promise((_, reject) =>
            signal?.addEventListener("abort", () => reject(signal.reason))
          ),
      ),
      OperationTimeoutError,
    );
  });

  await t.step("killSession kills and deregisters", async () => {
    await using _extra = await createSession({ name: "lib-kill", socket, registry });
    const outcome = await killSession({ session: "lib-kill", registry });
    equal(outcome.killed, true);
    equal(outcome.deregistered, true);
    equal(await hasSession(box, socket, "lib-kill"), false);
  });
});
