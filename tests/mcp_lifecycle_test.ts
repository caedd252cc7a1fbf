/**
 * The MCP server's life: progress and cancellation through the SDK's
 * client, malformed input on the wire, stdin closed or a signal in the
 * middle of a wait (the server exits and leaves no control client), one
 * control client per tmux server that comes back after the server
 * restarts, and the access policy (sockets, its own pane).
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  connect,
  controlClients,
  defaultSocket,
  errorText,
  RawServer,
  structured,
} from "./fixtures/mcp.ts";
import { Sandbox, testEntry, waitUntil } from "./helpers.ts";

Deno.test("a long wait reports MCP progress", async () => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "prog"])).code, 0);
  await using server = await connect(box);
  const seen: { progress: number; total?: number; message?: string }[] = [];
  const waiting = server.client.callTool(
    { name: "wait", arguments: { session: "prog", pattern: "^prog-done$", waitMs: 20_000 } },
    undefined,
    { onprogress: (p) => seen.push(p) },
  );
  // The core's own step first, then the once-a-second reports.
  await waitUntil(() => seen.length >= 2, { timeoutMs: 10_000, message: "two progress reports" });
  await box.tmux(defaultSocket(box), "send-keys", "-t", "=prog:", "echo prog-done", "Enter");
  deepEqual(structured(await waiting as never), { kind: "matched", line: "prog-done" });
  equal(seen[0].total, 20_000);
  match(seen.map((p) => p.message ?? "").join("|"), /control-mode/);
  for (let i = 1; i < seen.length; i++) ok(seen[i].progress > seen[i - 1].progress, "grows");
});

Deno.test("cancellation ends a wait and a run, never half-sends, and the server goes on", async (t) => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "cancel"])).code, 0);
  await using server = await connect(box);
  const sock = defaultSocket(box);

  await t.step("a cancelled wait rejects at once", async () => {
    const controller = new AbortController();
    const waiting = server.client.callTool(
      { name: "wait", arguments: { session: "cancel", pattern: "^never$", waitMs: 60_000 } },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error("user cancelled")), 200);
    await rejects(waiting, /user cancelled/);
    const health = structured(
      await server.client.callTool({
        name: "pane_health",
        arguments: { session: "cancel" },
      }) as never,
    );
    equal(health.status, "healthy");
  });

  await t.step("a cancelled run leaves its command fully typed and running", async () => {
    const controller = new AbortController();
    const running = server.client.callTool(
      {
        name: "run",
        arguments: { session: "cancel", command: "sleep 0.5; echo ran-$((1+1))", waitMs: 60_000 },
      },
      undefined,
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error("stop waiting")), 100);
    await rejects(running, /stop waiting/);
    // The whole line went, Enter included: the command runs to its end.
    await waitUntil(
      async () => (await box.tmux(sock, "capture-pane", "-p", "-t", "=cancel:")).includes("ran-2"),
      {
        message: "the cancelled run's output",
      },
    );
  });

  equal(server.stderr(), "");
});

Deno.test("malformed input on the wire gets JSON-RPC errors and the server goes on", async () => {
  await using box = await Sandbox.create();
  await using raw = new RawServer(box);
  await raw.initialize();
  await raw.write("this is not json\n");
  await raw.write('{"jsonrpc":"2.0","id":"x"\n');
  await raw.send({ id: 1, method: "no/such/method" });
  equal(
    (await raw.reply(1)).error && ((await raw.reply(1)).error as { code: number }).code,
    -32601,
  );
  await raw.send({ id: 2, method: "tools/call", params: { arguments: {} } });
  ok((await raw.reply(2)).error, "tools/call without a name is an error");
  await raw.send({ id: 3, method: "tools/call", params: { name: "nope", arguments: {} } });
  const unknown = (await raw.reply(3)).result as { isError: boolean; content: { text: string }[] };
  equal(unknown.isError, true);
  match(unknown.content[0].text, /Tool nope not found/);
  await raw.send({ id: 4, method: "tools/call", params: { name: "list_sessions", arguments: {} } });
  deepEqual((await raw.reply(4)).result, {
    content: [{ type: "text", text: '{"sessions":[]}' }],
    structuredContent: { sessions: [] },
  });
});

for (
  const [how, stop, code] of [
    ["stdin closed", (raw: RawServer) => raw.closeStdin(), 0],
    ["SIGTERM", (raw: RawServer) => raw.kill("SIGTERM"), 143],
    ["SIGINT", (raw: RawServer) => raw.kill("SIGINT"), 130],
  ] as const
) {
  Deno.test(`${how} in the middle of a wait: the server exits and leaves no client`, async () => {
    await using box = await Sandbox.create();
    equal((await box.run("create-session", ["-n", "mid"])).code, 0);
    const sock = defaultSocket(box);
    await using raw = new RawServer(box);
    await raw.initialize();
    await raw.send({
      id: 1,
      method: "tools/call",
      params: { name: "wait", arguments: { session: "mid", pattern: "^never$", waitMs: 60_000 } },
    });
    // The wait is on: its client (and the command client) are attached.
    await waitUntil(async () => (await controlClients(box, sock)).length >= 1, {
      message: "the server's control client",
    });
    const started = performance.now();
    await stop(raw);
    const status = await raw.status();
    equal(status.code, code, raw.stderr);
    ok(performance.now() - started < 5000, "it exits without waiting the wait out");
    deepEqual(await controlClients(box, sock), [], "no control client left");
    equal(
      (await box.tmux(sock, "display-message", "-p", "-t", "=mid:", "#{pane_dead}")).trim(),
      "0",
    );
  });
}

Deno.test("one control client per tmux server, back after the server restarts", async () => {
  await using box = await Sandbox.create();
  await using server = await connect(box);
  const sock = defaultSocket(box);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    await server.client.callTool({ name, arguments: args });
  structured(await call("create_session", { name: "r1" }) as never);
  for (let i = 0; i < 5; i++) structured(await call("pane_health", { session: "r1" }) as never);
  await waitUntil(async () => (await controlClients(box, sock)).length === 1, {
    message: "one control client",
  });

  await box.tmux(sock, "kill-server");
  equal(
    structured(await call("pane_health", { session: "r1" }) as never).status,
    "server_not_running",
  );
  // The session went with its server; its entry goes now.
  const gone = structured(await call("kill_session", { session: "r1" }) as never);
  deepEqual([gone.killed, gone.deregistered], [false, true]);
  structured(await call("create_session", { name: "r2" }) as never);
  await waitUntil(async () => {
    structured(await call("capture", { session: "r2" }) as never);
    return (await controlClients(box, sock)).length === 1;
  }, { message: "the client back after the restart" });
  const ran = structured(await call("run", { session: "r2", command: "echo back" }) as never);
  deepEqual([ran.kind, ran.output], ["completed", "back"]);
});

Deno.test("access: sockets outside the folder need the registry or --any-socket", async (t) => {
  await using box = await Sandbox.create();
  const outside = box.socket("outside.sock");
  await box.newSession(outside, "far");

  await t.step("refused by default, with one line", async () => {
    await using server = await connect(box);
    const text = errorText(
      await server.client.callTool({
        name: "pane_health",
        arguments: { target: "far", socket: outside },
      }) as never,
    );
    match(text, /^Error: Socket not allowed: .*outside\.sock .*--any-socket/);
    match(
      errorText(
        await server.client.callTool({
          name: "find_sessions",
          arguments: { socket: outside },
        }) as never,
      ),
      /Socket not allowed/,
    );
    match(
      errorText(
        await server.client.callTool({
          name: "pane_health",
          arguments: { target: "far" },
        }) as never,
      ),
      /Socket not allowed: tmux's default socket/,
    );
  });

  await t.step("allowed once the registry names the socket", async () => {
    await box.writeSessions({ far: testEntry(outside, "far:0.0") });
    await using server = await connect(box);
    for (const args of [{ session: "far" }, { target: "far", socket: outside }]) {
      const health = structured(
        await server.client.callTool({ name: "pane_health", arguments: args }) as never,
      );
      equal(health.status, "healthy");
    }
    await box.writeSessions({});
  });

  await t.step("allowed with --any-socket", async () => {
    await using server = await connect(box, ["--any-socket"]);
    const health = structured(
      await server.client.callTool({
        name: "pane_health",
        arguments: { target: "far", socket: outside },
      }) as never,
    );
    equal(health.status, "healthy");
  });
});

Deno.test("access: the server never sends to, runs in or kills its own pane", async () => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "home"])).code, 0);
  equal((await box.run("create-session", ["-n", "other"])).code, 0);
  const sock = defaultSocket(box);
  const [pane, pid] =
    (await box.tmux(sock, "display-message", "-p", "-t", "=home:", "#{pane_id} #{pid}"))
      .trim().split(" ");
  // As if the server were started from that pane.
  await using server = await connect(box, [], { TMUX: `${sock},${pid},0`, TMUX_PANE: pane });
  const call = async (name: string, args: Record<string, unknown>) =>
    await server.client.callTool({ name, arguments: args });
  for (
    const [name, args] of [
      ["send", { session: "home", text: "echo no" }],
      ["send_keys", { session: "home", keys: ["C-c"] }],
      ["run", { session: "home", command: "echo no" }],
      ["send", { target: pane, socket: sock, text: "echo no" }],
    ] as const
  ) {
    equal(
      errorText(await call(name, args) as never),
      `Error: Refusing to send to pane ${pane}: the server runs in it`,
    );
  }
  match(
    errorText(await call("kill_session", { session: "home" }) as never),
    /Refusing to kill session 'home'/,
  );
  // Reading it, and acting on any other pane, are fine.
  equal(structured(await call("pane_health", { session: "home" }) as never).status, "healthy");
  const ran = structured(await call("run", { session: "other", command: "echo fine" }) as never);
  equal(ran.output, "fine");
  deepEqual(structured(await call("kill_session", { session: "other" }) as never), {
    status: "removed",
    killed: true,
    wasRegistered: true,
    deregistered: true,
  });
  equal((await box.tmux(sock, "display-message", "-p", "-t", "=home:", "ok")).trim(), "ok");
});
