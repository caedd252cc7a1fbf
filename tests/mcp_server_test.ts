/**
 * The MCP server driven by the SDK's own `Client` over stdio, against real
 * tmux in a Sandbox: the handshake, the tool list and schemas, every tool,
 * errors as one-line tool errors with the CLI's words, and one registry
 * shared with the command-line tools.
 */
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { staticPermissionFlags } from "../lib/permissions.ts";
import { connect, defaultSocket, errorText, serverCommand, structured } from "./fixtures/mcp.ts";
import { json, Sandbox, toolScript, waitUntil } from "./helpers.ts";

const ALL_TOOLS = [
  "capture",
  "capture_since",
  "cleanup_sessions",
  "create_session",
  "find_sessions",
  "kill_session",
  "list_sessions",
  "pane_health",
  "resume_run",
  "run",
  "send",
  "send_keys",
  "wait",
];

Deno.test("initialize and tools/list: every tool with input and output schemas", async () => {
  await using box = await Sandbox.create();
  await using server = await connect(box);
  const info = server.client.getServerVersion();
  equal(info?.name, "claude-tmux");
  const { tools } = await server.client.listTools();
  deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS);
  for (const t of tools) {
    equal(t.inputSchema.type, "object", t.name);
    equal(t.outputSchema?.type, "object", `${t.name} has an output schema`);
    ok((t.description ?? "").length > 20, `${t.name} is described`);
  }
  const send = tools.find((t) => t.name === "send")!;
  deepEqual(send.inputSchema.required, ["text"]);
  equal(send.annotations?.readOnlyHint, false);
});

Deno.test("--read-only offers only list, health, capture, find and wait", async () => {
  await using box = await Sandbox.create();
  await using server = await connect(box, ["--read-only"]);
  const { tools } = await server.client.listTools();
  deepEqual(tools.map((t) => t.name).sort(), [
    "capture",
    "capture_since",
    "find_sessions",
    "list_sessions",
    "pane_health",
    "wait",
  ]);
  const refused = await server.client.callTool({ name: "run", arguments: { command: "true" } });
  match(errorText(refused as never), /Tool run not found/);
});

Deno.test("each tool works on real tmux, and the CLI sees the same registry", async (t) => {
  await using box = await Sandbox.create();
  await using server = await connect(box);
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    await server.client.callTool({ name, arguments: args });
  // Listed tools make the client check each result against its output schema.
  await server.client.listTools();

  await t.step("create_session registers a session the CLI lists", async () => {
    const made = structured(await call("create_session", { name: "mcp-sh" }) as never);
    deepEqual(made, {
      name: "mcp-sh",
      socket: defaultSocket(box),
      target: "mcp-sh:0.0",
      type: "shell",
      registered: true,
    });
    const listed = json<{ sessions: { name: string; status: string }[] }>(
      await box.run("list-sessions", ["--json"]),
    );
    deepEqual(listed.sessions.map((s) => [s.name, s.status]), [["mcp-sh", "alive"]]);
  });

  await t.step("list_sessions sees a session the CLI created", async () => {
    equal((await box.run("create-session", ["-n", "cli-py", "--python"])).code, 0);
    type Listed = { sessions: { name: string; status: string; activity: string | null }[] };
    // Idle once Python is in front (create-session's pane starts it from a shell).
    const rows = await waitUntil(async () => {
      const { sessions } = structured<Listed>(await call("list_sessions") as never);
      const rows = sessions.map((s) => [s.name, s.status, s.activity]);
      return rows.every((row) => row[2] === "idle") && rows;
    }, { message: "both sessions idle" });
    deepEqual(rows, [["cli-py", "alive", "idle"], ["mcp-sh", "alive", "idle"]]);
  });

  await t.step("pane_health", async () => {
    const health = structured(await call("pane_health", { session: "mcp-sh" }) as never);
    equal(health.status, "healthy");
    equal(health.serverRunning, true);
  });

  await t.step("run: a shell command's output and exit status", async () => {
    const result = structured(
      await call("run", { session: "mcp-sh", command: "echo one; echo two; (exit 3)" }) as never,
    );
    deepEqual([result.kind, result.output, result.exitCode], ["completed", "one\ntwo", 3]);
  });

  await t.step("run waits for input, send answers, resume_run collects the rest", async () => {
    const asked = structured(
      await call("run", {
        session: "mcp-sh",
        command: 'read -p "Name? " n; echo "hi $n"',
      }) as never,
    );
    deepEqual([asked.kind, asked.prompt, asked.waitingForInput], [
      "waiting_for_input",
      "Name? ",
      true,
    ]);
    await call("send", { session: "mcp-sh", text: "Ada" });
    const done = structured(
      await call("resume_run", { session: "mcp-sh", runId: asked.runId }) as never,
    );
    deepEqual([done.kind, done.exitCode], ["completed", 0]);
    equal(String(done.output).split("\n").at(-1), "hi Ada");
  });

  await t.step("run in a pane of no registered session leaves no pipe behind", async () => {
    const socket = defaultSocket(box);
    await box.newSession(socket, "raw", ["env", "PS1=$ ", "bash", "--norc", "--noprofile"]);
    await waitUntil(async () =>
      (await box.tmux(socket, "capture-pane", "-p", "-t", "=raw:")).trimStart().startsWith("$")
    );
    const result = structured(
      await call("run", { target: "raw:0.0", socket, command: "echo raw" }) as never,
    );
    deepEqual([result.kind, result.output, result.exitCode], ["completed", "raw", 0]);
    // The pipe is closed by a command the server's client runs after the reply: wait for it.
    await waitUntil(async () =>
      (await box.tmux(socket, "display", "-p", "-t", "=raw:", "#{pane_pipe}")).trim() === "0"
    );
    const taps = await Array.fromAsync(Deno.readDir(`${box.socketDir}/.ctmux/tap`))
      .catch(() => []);
    deepEqual(taps, []);
    await box.tmux(socket, "kill-session", "-t", "=raw");
  });

  await t.step("run: Python code in the REPL the CLI made", async () => {
    await waitUntil(async () =>
      (await box.run("wait-for-text", ["-s", "cli-py", "-p", "^>>>", "-T", "10"])).code === 0
    );
    const result = structured(
      await call("run", { session: "cli-py", command: "print(6 * 7)" }) as never,
    );
    deepEqual([result.kind, result.output, result.exitCode], ["completed", "42", 0]);
  });

  await t.step("send with waitFor matches only output after the send", async () => {
    const result = structured(
      await call("send", {
        session: "mcp-sh",
        text: "echo sent-$((40+2))",
        waitFor: "^sent-42$",
        waitMs: 10_000,
      }) as never,
    );
    deepEqual([result.kind, result.line], ["matched", "sent-42"]);
    ok(String(result.pane).startsWith("%"));
  });

  await t.step("send_keys then wait", async () => {
    deepEqual(
      structured(
        await call("send_keys", { session: "mcp-sh", keys: ["echo keyed-ok", "Enter"] }) as never,
      ),
      { kind: "sent" },
    );
    const seen = structured(
      await call("wait", { session: "mcp-sh", pattern: "^keyed-ok$", waitMs: 10_000 }) as never,
    );
    deepEqual(seen, { kind: "matched", line: "keyed-ok" });
  });

  await t.step("wait that times out says so, with the text it saw", async () => {
    const seen = structured(
      await call("wait", { session: "mcp-sh", pattern: "^never-there$", waitMs: 200 }) as never,
    );
    equal(seen.kind, "timed_out");
    match(String(seen.lastText), /keyed-ok/);
  });

  await t.step("capture: the same lines as capture-pane.sh --json", async () => {
    const { lines } = structured<{ lines: string[] }>(
      await call("capture", { session: "mcp-sh" }) as never,
    );
    const cli = json<{ lines: string[] }>(
      await box.run("capture-pane", ["-s", "mcp-sh", "--json"]),
    );
    deepEqual(lines, cli.lines);
    ok(lines.includes("sent-42"));
  });

  await t.step("find_sessions over the socket folder", async () => {
    const { servers } = structured<
      { servers: { running: boolean; sessions: { name: string }[] }[] }
    >(
      await call("find_sessions", { all: true }) as never,
    );
    equal(servers.length, 1);
    deepEqual(servers[0].sessions.map((s) => s.name).sort(), ["cli-py", "mcp-sh"]);
  });

  await t.step("kill_session kills and deregisters; the CLI no longer lists it", async () => {
    const outcome = structured(await call("kill_session", { session: "cli-py" }) as never);
    deepEqual(outcome, {
      status: "removed",
      killed: true,
      wasRegistered: true,
      deregistered: true,
    });
    const listed = json<{ sessions: { name: string }[] }>(
      await box.run("list-sessions", ["--json"]),
    );
    deepEqual(listed.sessions.map((s) => s.name), ["mcp-sh"]);
  });

  await t.step("cleanup_sessions removes the entry of a session that ended", async () => {
    await box.tmux(defaultSocket(box), "kill-session", "-t", "=mcp-sh");
    const preview = structured(await call("cleanup_sessions", { dryRun: true }) as never);
    deepEqual(preview.items, [{ name: "mcp-sh", reason: "dead/missing/zombie" }]);
    const done = structured(await call("cleanup_sessions") as never);
    deepEqual(done.items, [{ name: "mcp-sh", reason: "dead/missing/zombie" }]);
    equal((await box.run("list-sessions", [])).stdout.trim(), "No sessions registered.");
  });
});

Deno.test("errors are one-line tool errors with the CLI's words", async (t) => {
  await using box = await Sandbox.create();
  await using server = await connect(box);
  const call = async (name: string, args: Record<string, unknown>) =>
    await server.client.callTool({ name, arguments: args });

  await t.step("an unknown session: pane-health.sh's line", async () => {
    const text = errorText(await call("pane_health", { session: "nope" }) as never);
    const cli = await box.run("pane-health", ["-s", "nope"]);
    equal(text, cli.stderr.trim());
  });

  await t.step("a bad session name: create-session.sh's line", async () => {
    const text = errorText(await call("create_session", { name: "a.b" }) as never);
    const cli = await box.run("create-session", ["-n", "a.b"]);
    equal(text, cli.stderr.trim());
  });

  await t.step("an invalid regex: wait-for-text.sh's line", async () => {
    await box.run("create-session", ["-n", "err-sh"]);
    const text = errorText(await call("wait", { session: "err-sh", pattern: "a(" }) as never);
    const cli = await box.run("wait-for-text", ["-s", "err-sh", "-p", "a("]);
    equal(text, cli.stderr.trim());
  });

  await t.step("a socket without a target: the CLI's check", async () => {
    const text = errorText(await call("pane_health", { socket: "/tmp/x.sock" }) as never);
    // The core's words: a face-neutral name for both the CLI's flags and the MCP arguments.
    equal(text, "Error: A socket (-S/socket or -L/socketName) needs a target (-t/target)");
  });

  await t.step("schema errors name every problem on one line", async () => {
    const text = errorText(await call("create_session", { name: 5, kind: "zsh" }) as never);
    ok(!text.includes("\n"), text);
    match(text, /expected string.*name/);
    match(text, /"shell"\|"python"\|"gdb".*kind/);
  });

  await t.step("an invalid duration: cleanup-sessions.sh's line", async () => {
    const text = errorText(await call("cleanup_sessions", { olderThan: "5x" }) as never);
    equal(text, "Error: Invalid duration format: 5x");
  });
});

Deno.test("mcp-server.sh as a command: help, bad flags, declared permissions", async () => {
  await using box = await Sandbox.create();
  const { command, args, env } = serverCommand(box);
  const run = async (...extra: string[]) => {
    const out = await new Deno.Command(command, {
      args: [...args, ...extra],
      env,
      clearEnv: true,
      stdin: "null",
    }).output();
    const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
  };
  const help = await run("--help");
  equal(help.code, 0);
  match(help.stdout, /^Usage: mcp-server\.sh \[--read-only\] \[--any-socket\]/);
  const bad = await run("--bogus");
  deepEqual([bad.code, bad.stderr, bad.stdout], [2, "Error: Unknown option: --bogus\n", ""]);
  // Stdin already closed: it starts, sees the end, and exits cleanly.
  deepEqual(await run(), { code: 0, stdout: "", stderr: "" });
  const first = (await Deno.readTextFile(toolScript("mcp-server"))).split("\n")[0];
  equal(
    first,
    `#!/usr/bin/env -S deno run --quiet ${staticPermissionFlags("mcp-server").join(" ")}`,
  );
});
