import { deepEqual, equal, ok as assert, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  capture,
  cleanupSessions,
  type Context,
  createSession,
  findSessions,
  killSession,
  listSessions,
  openSession,
  OperationTimeoutError,
  paneHealth,
  run,
  send,
  SessionNotFoundError,
  UsageError,
  waitForText,
  watchPane,
} from "../mod.ts";
import { withDeadline } from "../lib/time.ts";
import { Sandbox, waitUntil } from "./helpers.ts";

async function hasSession(box: Sandbox, sock: string, name: string): Promise<boolean> {
  return (await box.tmuxRaw(sock, "has-session", "-t", `=${name}`)).code === 0;
}

Deno.test("a session handle made with killOnDispose is killed and deregistered by await using", async () => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  {
    await using sh = await createSession({ name: "scoped", socket, context, killOnDispose: true });
    equal(sh.target, "scoped:0.0");
    assert(await hasSession(box, socket, "scoped"));
    equal((await sh.health()).status, "healthy");
    assert(Object.hasOwn((await context.registry.read()).sessions, "scoped"));
  }
  equal(await hasSession(box, socket, "scoped"), false);
  equal(Object.hasOwn((await context.registry.read()).sessions, "scoped"), false);
});

Deno.test("the library runs, sends, waits, captures and lists through typed results", async (t) => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  await using sh = await createSession({ name: "lib-sh", socket, context, killOnDispose: true });
  await using py = await createSession({
    name: "lib-py",
    kind: "python",
    socket,
    context,
    killOnDispose: true,
  });

  await t.step("run in a shell gives the command's own output and exit status", async () => {
    const result = await run({ session: "lib-sh", command: "echo a; echo b; (exit 7)", context });
    equal(result.kind, "completed");
    equal(result.output, "a\nb");
    equal(result.exitCode, 7);
  });

  await t.step("run in Python waits for the prompt and returns what was printed", async () => {
    equal((await py.waitFor("^>>>", { waitMs: 10_000 })).kind, "matched");
    const result = await py.run("print(6*7)", { waitMs: 10_000 });
    equal(result.output, "42");
    equal(result.exitCode, 0);
  });

  await t.step("send with a RegExp waits for output after the send", async () => {
    const outcome = await send({
      session: "lib-sh",
      context,
      text: "echo $((40+2))",
      waitFor: /^42$/,
      waitMs: 10_000,
    });
    equal(outcome.kind, "matched");
    if (outcome.kind === "matched") equal(outcome.line, "42");
  });

  await t.step("capture returns the pane's lines", async () => {
    const lines = await capture({ session: "lib-sh", context, history: 100, join: true });
    assert(lines.includes("42"), lines.join("\n"));
  });

  await t.step("waitForText's budget ends in an outcome, its deadline in an error", async () => {
    const timedOut = await waitForText({
      session: "lib-sh",
      context,
      pattern: "never-shown-text",
      waitMs: 300,
    });
    equal(timedOut.kind, "timed_out");
    await rejects(
      waitForText({ session: "lib-sh", context, pattern: "never-shown-text", timeoutMs: 300 }),
      OperationTimeoutError,
    );
  });

  await t.step("listSessions reports both sessions alive, in name order", async () => {
    const sessions = await listSessions({ context });
    equal(sessions.map((s) => `${s.name}:${s.status}`).join(" "), "lib-py:alive lib-sh:alive");
  });

  await t.step("watchPane yields the pane's new output as it arrives", async () => {
    // The outer bound only keeps a broken watch from hanging the suite.
    await using watch = await watchPane({
      session: "lib-sh",
      context,
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
      const same = await openSession({ session: "lib-py", context });
      equal(same.type, "python-repl");
      await rejects(openSession({ session: "nope", context }), SessionNotFoundError);
    },
  );

  await t.step("an operation past its timeoutMs rejects with OperationTimeoutError", async () => {
    await rejects(
      paneHealth({ target: "lib-sh", socket, context, timeoutMs: 0 }),
      OperationTimeoutError,
    );
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
    await using _extra = await createSession({ name: "lib-kill", socket, context });
    const outcome = await killSession({ session: "lib-kill", context });
    equal(outcome.killed, true);
    equal(outcome.deregistered, true);
    equal(await hasSession(box, socket, "lib-kill"), false);
  });
});

Deno.test("an aborted signal rejects with its reason, before or during the call", async (t) => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  await using _sh = await createSession({ name: "abort", socket, context, killOnDispose: true });
  const where = { session: "abort", context };
  const reason = new Error("stop");

  await t.step("aborted before the call", async () => {
    const signal = AbortSignal.abort(reason);
    const calls: [string, () => Promise<unknown>][] = [
      ["waitForText", () => waitForText({ ...where, pattern: "x", signal })],
      ["send", () => send({ ...where, text: "echo no", waitFor: "x", signal })],
      ["run", () => run({ ...where, command: "true", signal })],
      ["paneHealth", () => paneHealth({ ...where, signal })],
      ["capture", () => capture({ ...where, signal })],
      ["listSessions", () => listSessions({ context, signal })],
    ];
    for (const [name, call] of calls) {
      await rejects(call(), (e: unknown) => e === reason, name);
    }
  });

  await t.step("aborted during a wait or a run", async () => {
    for (
      const start of [
        (signal: AbortSignal) => waitForText({ ...where, pattern: "never-seen", signal }),
        (signal: AbortSignal) => run({ ...where, command: "sleep 30", signal }),
        (signal: AbortSignal) =>
          send({ ...where, text: "sleep 0.1", waitFor: "never-seen", signal }),
      ]
    ) {
      const stop = new AbortController();
      const call = start(stop.signal);
      // Abort once the call is under way: a control-mode client attached to wait.
      await waitUntil(async () =>
        (await box.tmux(socket, "list-clients", "-F", "#{client_control_mode}")).includes("1")
      );
      stop.abort(reason);
      await rejects(call, (e: unknown) => e === reason);
    }
    // The run's sleep is still going: stop it so the pane is idle again.
    await box.tmux(socket, "send-keys", "-t", "=abort:", "C-c");
  });
});

Deno.test("look-ups by name read the registry; touch: true updates last_active", async () => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  await using _sh = await createSession({ name: "quiet", socket, context, killOnDispose: true });
  const old = "2000-01-01T00:00:00Z";
  await context.registry.update((data) => {
    (data.sessions.quiet as Record<string, unknown>).last_active = old;
  });
  const before = await Deno.readTextFile(context.paths.registryFile);
  equal((await paneHealth({ session: "quiet", context })).status, "healthy");
  await capture({ session: "quiet", context });
  await run({ session: "quiet", command: "true", context });
  equal(await Deno.readTextFile(context.paths.registryFile), before);
  await paneHealth({ session: "quiet", context, touch: true });
  const after = ((await context.registry.read()).sessions.quiet as Record<string, unknown>)
    .last_active;
  assert(after !== old, `last_active is still ${after}`);
});

Deno.test("option values that types cannot stop are checked at run time", async () => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  await using _sh = await createSession({ name: "checked", socket, context, killOnDispose: true });
  const typo = { mode: "multiline" } as unknown as { mode: "paste" };
  await rejects(send({ session: "checked", context, text: "x", ...typo }), UsageError);
  const kind = { kind: "pyton" } as unknown as { kind: "python" };
  await rejects(createSession({ name: "never-made", socket, context, ...kind }), UsageError);
  await rejects(waitForText({ session: "checked", context, pattern: "x", waitMs: -1 }), UsageError);
  await rejects(run({ session: "checked", context, command: "true", waitMs: NaN }), UsageError);
  equal(await hasSession(box, socket, "never-made"), false);
});

Deno.test("openSession on an unregistered Python pane runs Python, not shell syntax", async () => {
  await using box = await Sandbox.create();
  const context = await box.context();
  const socket = box.socket();
  await box.newSession(socket, "bare-py", ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"]);
  const py = await openSession({ target: "bare-py", socket, context });
  equal(py.registered, false);
  equal(py.type, undefined);
  equal((await py.waitFor("^>>>", { waitMs: 10_000 })).kind, "matched");
  const result = await py.run("print(6*7)", { waitMs: 10_000 });
  deepEqual([result.kind, result.output, result.exitCode], ["completed", "42", 0]);
});

Deno.test("killSession and findSessions act on the context's sockets, not the process's", async (t) => {
  await using box = await Sandbox.create();
  const context = await box.context();

  await t.step("killSession by target on a named socket (-L) kills it there", async () => {
    // The context's tmux runs with the sandbox's TMUX_TMPDIR: `-L lib` lives there.
    const named = join(box.env.TMUX_TMPDIR, `tmux-${Deno.uid()}`, "lib");
    await createSession({ name: "unused", socket: box.socket(), context, register: false });
    await context.server({ name: "lib" }).run(["new-session", "-d", "-s", "named", "sleep", "300"]);
    box.sockets.add(named);
    assert(await hasSession(box, named, "named"));
    const outcome = await killSession({ target: "named", socketName: "lib", context });
    equal(outcome.killed, true, outcome.killError?.message);
    equal(await hasSession(box, named, "named"), false);
  });

  await t.step("findSessions with all lists the context's socket folder", async () => {
    await using _s = await createSession({ name: "found", context, killOnDispose: true });
    const servers = await findSessions({ all: true, context });
    deepEqual(servers.map((s) => s.socket.path), [context.paths.defaultSocket]);
    deepEqual(servers[0].sessions.map((s) => s.name), ["found"]);
  });

  await t.step("cleanupSessions uses the context's registry", async () => {
    await context.registry.add("stale", {
      socket: box.socket("gone.sock"),
      target: "stale:0.0",
      type: "shell",
    });
    const { items } = await cleanupSessions({ context });
    deepEqual(items, [{ name: "stale", reason: "dead/missing/zombie" }]);
  });
});

Deno.test("every tmux the library starts goes through the context's program, control mode too", async () => {
  await using box = await Sandbox.create();
  const sandboxed = await box.context();
  const log = join(box.root, "calls.log");
  const logger = join(box.root, "logging-tmux");
  await Deno.writeTextFile(
    logger,
    `#!/bin/sh\necho "$*" >> '${log}'\nexec '${sandboxed.program}' "$@"\n`,
    { mode: 0o755 },
  );
  const { Context: ContextClass } = await import("../lib/context.ts");
  const context: Context = new ContextClass({
    env: sandboxed.env,
    registry: sandboxed.registry,
    program: logger,
  });
  const socket = box.socket();
  await using _sh = await createSession({ name: "logged", socket, context, killOnDispose: true });
  const done = await send({
    session: "logged",
    context,
    text: "sleep 0.2; echo logged-$((1+1))",
    waitFor: "^logged-2$",
    waitMs: 10_000,
  });
  equal(done.kind, "matched");
  const calls = (await Deno.readTextFile(log)).split("\n");
  assert(calls.some((c) => c.startsWith("-S") && c.includes(" new-session ")), calls.join("\n"));
  assert(calls.some((c) => c.includes(" -C attach-session ")), calls.join("\n"));
});
