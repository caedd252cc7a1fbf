import { deepEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { json, Sandbox } from "./helpers.ts";

Deno.test("pane-health reports each verdict with its exit code", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "foobar");

  await t.step("healthy pane: exit 0 and the documented JSON key order", async () => {
    const r = await box.run("pane-health", ["-S", sock, "-t", "foobar:0.0"]);
    assertEquals(r.code, 0);
    const h = json(r);
    assertEquals(Object.keys(h), [
      "status",
      "server_running",
      "session_exists",
      "pane_exists",
      "pane_dead",
      "pid",
      "process_running",
    ]);
    assertEquals(h.status, "healthy");
    assertEquals(typeof h.pid, "number");
    assertEquals(r.stderr, "");
  });

  await t.step("foo never matches a session foobar", async () => {
    const r = await box.run("pane-health", ["-S", sock, "-t", "foo", "--format", "text"]);
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "Session does not exist (target: foo)\n");
  });

  await t.step("missing pane in an existing session: exit 2", async () => {
    const r = await box.run("pane-health", ["-S", sock, "-t", "foobar:0.5", "--format", "text"]);
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "Pane does not exist (target: foobar:0.5)\n");
  });

  await t.step("dead pane: exit 1, pid null", async () => {
    await box.tmux(sock, "set-option", "-g", "remain-on-exit", "on");
    await box.tmux(sock, "new-session", "-d", "-s", "dies", "sh", "-c", "exit 0");
    const { waitUntil } = await import("./helpers.ts");
    await waitUntil(async () =>
      (await box.tmux(sock, "display", "-p", "-t", "=dies:", "#{pane_dead}")).trim() === "1"
    );
    const r = await box.run("pane-health", ["-S", sock, "-t", "dies"]);
    assertEquals(r.code, 1);
    assertEquals(json(r).pid, null);
    assertEquals(json(r).status, "dead");
    const text = await box.run("pane-health", ["-S", sock, "-t", "dies", "--format", "text"]);
    assertEquals(text.stdout, "Pane dies is dead (marked as dead by tmux)\n");
  });

  await t.step("server not running: exit 4", async () => {
    const r = await box.run("pane-health", [
      "-S",
      box.socket("none.sock"),
      "-t",
      "x",
      "--format",
      "text",
    ]);
    assertEquals(r.code, 4);
    assertMatch(r.stdout, /^tmux server is not running on socket: .*none\.sock\n$/);
  });

  await t.step("no server on tmux's default socket: exit 4, no socket named", async () => {
    const r = await box.run("pane-health", ["-t", "anything", "--format", "text"]);
    assertEquals(r.code, 4);
    assertEquals(r.stdout, "tmux server is not running on socket\n");
    assertEquals(json(await box.run("pane-health", ["-t", "anything"])).server_running, false);
  });

  await t.step("text for a healthy pane names its pid", async () => {
    const r = await box.run("pane-health", ["-S", sock, "-t", "foobar:0.0", "--format", "text"]);
    assertMatch(r.stdout, /^Pane foobar:0\.0 is healthy \(PID: \d+, process running\)\n$/);
  });
});
