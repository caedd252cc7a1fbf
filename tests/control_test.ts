/**
 * The control-mode command transport: a connected Server sends its tmux
 * commands through one control client and gets the answers a tmux process
 * would give (output, errors, several commands in one call), reattaches
 * after the tmux server restarts, shares one client per session among
 * waits, falls back to processes where control mode can't serve, and
 * leaves no client behind.
 */
import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { ControlClient, controlLine } from "../lib/control.ts";
import { ServerNotRunningError, TmuxCommandError, TmuxTimeoutError } from "../lib/errors.ts";
import { Pane } from "../lib/pane.ts";
import { Server } from "../lib/server.ts";
import type { RunTmuxOptions } from "../lib/tmux.ts";
import { waitUntil as untilPane } from "../lib/until.ts";
import { controlClients } from "./fixtures/mcp.ts";
import { Sandbox, waitUntil } from "./helpers.ts";

/** A tmux wrapper that logs each process it starts (one line each), in the sandbox. */
async function countingTmux(
  box: Sandbox,
): Promise<{ program: string; calls: () => Promise<string[]> }> {
  const log = join(box.root, "tmux-calls.log");
  const program = join(box.root, "counting-tmux");
  await Deno.writeTextFile(
    program,
    `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec tmux "$@"\n`,
    { mode: 0o755 },
  );
  const calls = async () =>
    (await Deno.readTextFile(log).catch(() => "")).split("\n").filter((l) => l !== "");
  return { program, calls };
}

Deno.test("controlLine quotes every argument so tmux reads it back exactly", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "q");
  await using server = new Server({ path: sock }).connect();
  const texts = [
    'a"b',
    "back\\slash",
    "$HOME ${X}",
    "~/x",
    "#{pane_id} #(ls)",
    "it's",
    "semi;",
    ";",
    "tab\there",
    "nl\nx",
    "\x01\x7f\x1b[31m",
    "ünï €𝄞",
    "{ }",
    "-la",
    "%begin 1 2 1",
    "x\\",
  ];
  for (const [i, text] of texts.entries()) {
    // tmuxArgument's escaping of a trailing ';' is what callers pass.
    const arg = text.endsWith(";") ? `${text.slice(0, -1)}\\;` : text;
    await server.run(["set-buffer", "-b", `t${i}`, "--", arg]);
    equal(await box.tmux(sock, "show-buffer", "-b", `t${i}`), text, JSON.stringify(text));
  }
  deepEqual(controlLine(["a", ";", "b"]), { line: '"a" ; "b"', commands: 2 });
});

Deno.test("a connected server answers as tmux processes do, through one client", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "ans");
  await box.tmux(sock, "send-keys", "-t", "=ans:", "printf 'l1\\n\\nl3\\n'", "Enter");
  await waitUntil(async () =>
    (await box.tmux(sock, "capture-pane", "-p", "-t", "=ans:")).includes("l3")
  );
  const { program, calls } = await countingTmux(box);
  const plain = new Server({ path: sock });
  await using connected = new Server({ path: sock }, { program }).connect();

  const both = async (args: string[]) => {
    const a = await plain.run(args).then((out) => ({ out }), (e: Error) => ({ err: e }));
    const b = await connected.run(args).then((out) => ({ out }), (e: Error) => ({ err: e }));
    return [a, b] as const;
  };

  await t.step("output, blank lines included", async () => {
    for (
      const args of [
        ["display-message", "-p", "-t", "=ans:", "#{session_name}"],
        ["capture-pane", "-p", "-t", "=ans:"],
        ["list-panes", "-a", "-F", "#{pane_id}"],
        ["set-buffer", "-b", "x", "y"],
      ]
    ) {
      const [a, b] = await both(args);
      deepEqual(b, a, args.join(" "));
    }
  });

  await t.step("several commands in one call, as one output", async () => {
    const [a, b] = await both([
      "display-message",
      "-p",
      "one",
      ";",
      "display-message",
      "-p",
      "two",
    ]);
    deepEqual(b, a);
    deepEqual(b, { out: "one\ntwo\n" });
  });

  await t.step("an error: the same typed error and message", async () => {
    for (
      const args of [
        ["capture-pane", "-p", "-t", "%9999"],
        [
          "display-message",
          "-p",
          "a",
          ";",
          "capture-pane",
          "-p",
          "-t",
          "%9999",
          ";",
          "display-message",
          "-p",
          "b",
        ],
        ["no-such-command"],
      ]
    ) {
      const [a, b] = await both(args);
      ok("err" in a && "err" in b, args.join(" "));
      ok(a.err instanceof TmuxCommandError && b.err instanceof TmuxCommandError);
      equal(b.err.message, a.err.message);
    }
    // The line after an error gets its own answer.
    equal(await connected.run(["display-message", "-p", "after"]), "after\n");
  });

  await t.step("one tmux process (the client) for all of it", async () => {
    const started = await calls();
    equal(started.length, 1, started.join("\n"));
    match(started[0], /-C attach-session -f ignore-size/);
    equal((await controlClients(box, sock)).length, 1);
  });

  await t.step("stdin (load-buffer -) still starts a process", async () => {
    await connected.run(["load-buffer", "-b", "in", "-"], {
      stdin: new TextEncoder().encode("from stdin"),
    });
    equal(await box.tmux(sock, "show-buffer", "-b", "in"), "from stdin");
    equal((await calls()).length, 2);
  });

  await t.step("close detaches the client", async () => {
    await connected.close();
    equal((await controlClients(box, sock)).length, 0);
    // A closed server still works, by processes.
    equal(await connected.run(["display-message", "-p", "again"]), "again\n");
  });
});

Deno.test("a connected server reattaches after the tmux server restarts", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await using server = new Server({ path: sock }).connect();
  // No server yet: the same error as a process gives.
  await rejects(server.run(["list-sessions"]), ServerNotRunningError);
  await box.newSession(sock, "first");
  // After a failed attach, commands go to processes for a moment, then it attaches again.
  const attached = async () => {
    await server.run(["display-message", "-p", "x"]);
    return (await controlClients(box, sock)).length === 1;
  };
  await waitUntil(attached, { message: "attach after start" });

  await box.tmux(sock, "kill-server");
  await rejects(server.run(["list-sessions"]), ServerNotRunningError);
  await box.newSession(sock, "second");
  await waitUntil(attached, { message: "reattach after restart" });
  equal(await server.run(["list-sessions", "-F", "#{session_name}"]), "second\n");
});

Deno.test("the client's session ending: the next command reattaches elsewhere", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "a");
  await box.newSession(sock, "b");
  await using server = new Server({ path: sock }).connect();
  await server.run(["display-message", "-p", "x"]);
  const clientSession = (await box.tmux(sock, "list-clients", "-F", "#{client_session}")).trim();
  // kill-session goes to a process even on a connected server.
  await server.killSession(clientSession);
  const left = clientSession === "a" ? "b" : "a";
  equal(
    await waitUntil(async () =>
      await server.run(["list-sessions", "-F", "#{session_name}"]).catch(() => "")
    ),
    `${left}\n`,
  );
});

Deno.test("waits on a connected server share one client per session", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "w1");
  await box.newSession(sock, "w2");
  await using server = new Server({ path: sock }).connect();
  const panes = await Promise.all(["w1", "w2"].map((s) => server.pane(s)));
  const probe = (text: string) => ({
    capture: () => ({ join: true }),
    test: (snap: { lines: string[] }) => snap.lines.includes(text) ? { done: true } : undefined,
  });
  const waits = [
    untilPane(panes[0], probe("one-done"), { waitMs: 10_000 }),
    untilPane(panes[0], probe("two-done"), { waitMs: 10_000 }),
    untilPane(panes[1], probe("three-done"), { waitMs: 10_000 }),
  ];
  // The command client, and one watcher for the session it is not attached to.
  await waitUntil(async () => (await controlClients(box, sock)).length === 2, {
    message: "two clients",
  });
  await panes[0].send("echo one-done; echo two-done", "keys");
  await panes[1].send("echo three-done", "keys");
  deepEqual((await Promise.all(waits)).map((o) => o.kind), ["done", "done", "done"]);
  equal(
    (await controlClients(box, sock)).length,
    2,
    `the clients stay for the next waits: ${await box.tmux(sock, "list-clients")}`,
  );
  await server.close();
  equal((await controlClients(box, sock)).length, 0);
});

Deno.test("a command through the client: timeout and abort", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "t");
  await using client = (await ControlClient.attach(new Server({ path: sock }), "t", {
    readOnly: false,
  }))!;
  // `wait-for` holds the client's next commands until the channel is signalled.
  equal(await client.command(["wait-for", "chan"]), "");
  await rejects(
    client.command(["display-message", "-p", "late"], { timeoutMs: 100 }),
    (e: unknown) => e instanceof TmuxTimeoutError && /display-message/.test(e.message),
  );
  const controller = new AbortController();
  const aborted = client.command(["display-message", "-p", "queued"], {
    signal: controller.signal,
  });
  controller.abort(new Error("stop"));
  await rejects(aborted, /stop/);
  await box.tmux(sock, "wait-for", "-S", "chan");
  // The answers of the abandoned commands are skipped, in order.
  equal(await client.command(["display-message", "-p", "next"]), "next\n");
});

Deno.test("an abort between a send's text and its Enter still sends the Enter", async () => {
  const calls: string[][] = [];
  const controller = new AbortController();
  class Recording extends Server {
    override run(args: string[], options: RunTmuxOptions = {}): Promise<string> {
      // As the process runner: an aborted call never starts.
      options.signal?.throwIfAborted();
      calls.push(args);
      // Abort right after the text went: the Enter must follow anyway.
      if (args.includes("typed")) controller.abort(new Error("cancelled"));
      return Promise.resolve("");
    }
  }
  const pane = new Pane(new Recording(), {
    session: "s",
    windowIndex: 0,
    windowName: "w",
    windowActive: true,
    paneIndex: 0,
    paneActive: true,
    paneId: "%1",
    paneDead: false,
    panePid: 1,
    serverPid: 1,
    panePipe: false,
  });
  await pane.send("typed", "keys", { signal: controller.signal });
  deepEqual(calls, [
    ["send-keys", "-t", "%1", "--", "typed"],
    ["send-keys", "-t", "%1", "Enter"],
  ]);
  // Aborted before anything went: nothing is sent.
  calls.length = 0;
  await rejects(pane.send("typed", "keys", { signal: controller.signal }), /cancelled/);
  deepEqual(calls, []);
});

Deno.test("a pane is found among its own session's panes, whichever session is current", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "sh");
  // The newest session is tmux's current one, and its window is named like the first session.
  await box.tmux(sock, "new-session", "-d", "-s", "other", "-n", "sh", "cat");
  for (const server of [new Server({ path: sock }), new Server({ path: sock }).connect()]) {
    await using _ = server;
    const sh = await server.pane("sh:0.0");
    equal(sh.session, "sh");
    equal((await server.health("sh")).status, "healthy");
    equal((await server.health("sh:0.7")).status, "missing");
    equal((await server.health("sh:0.7")).sessionExists, true);
    equal((await server.health("nope")).sessionExists, false);
    equal((await server.pane(sh.id)).session, "sh");
  }
});

Deno.test("a shared wait client no wait has used for a while is detached", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "cmd");
  await box.newSession(sock, "idle");
  await using server = new Server({ path: sock }, { watcherIdleMs: 100 }).connect();
  await server.run(["display-message", "-p", "x"]);
  const attachedTo = (await box.tmux(sock, "list-clients", "-F", "#{client_session}")).trim();
  const other = attachedTo === "idle" ? "cmd" : "idle";
  const pane = await server.pane(other);
  const ready = (text: string) => ({
    capture: () => ({ join: true }),
    test: (snap: { lines: string[] }) => snap.lines.includes(text) ? { done: true } : undefined,
  });
  const first = untilPane(pane, ready("first-done"), { waitMs: 10_000 });
  await waitUntil(async () => (await controlClients(box, sock)).length === 2);
  await pane.send("echo first-done", "keys");
  equal((await first).kind, "done");
  await waitUntil(async () => (await controlClients(box, sock)).length === 1, {
    message: "the idle wait client detached",
  });
  // The next wait attaches one again.
  const second = untilPane(pane, ready("second-done"), { waitMs: 10_000 });
  await waitUntil(async () => (await controlClients(box, sock)).length === 2);
  await pane.send("echo second-done", "keys");
  equal((await second).kind, "done");
});
