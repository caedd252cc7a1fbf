/**
 * Target priority, as the original decides it, for every single-pane tool:
 * `-s` wins unless both `-S` and `-t` are given; a `-t` (or `-S`) alone
 * beside `-s` is ignored. A user's own server on tmux's default socket,
 * holding a session of the same name, must never be acted on instead.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { json, Sandbox, testEntry, waitUntil } from "./helpers.ts";

/** A bash whose prompt and `$WHERE` say which server it runs on. */
function shell(where: string): string[] {
  return ["env", `WHERE=${where}`, `PS1=${where}> `, "bash", "--norc", "--noprofile"];
}

async function screen(box: Sandbox, socket: string): Promise<string> {
  return await box.tmux(socket, "capture-pane", "-p", "-t", "=w:0.0");
}

/**
 * A registered session `w` on its own socket, and a session `w` on tmux's
 * default socket (the user's server) that no command here may touch.
 */
async function world(box: Sandbox): Promise<{ sock: string; def: string }> {
  const sock = box.socket("registered.sock");
  const def = box.tmuxDefaultSocket;
  await Deno.mkdir(join(def, ".."), { recursive: true, mode: 0o700 });
  await box.newSession(sock, "w", shell("registered"));
  await box.newSession(def, "w", shell("default"));
  for (const [socket, where] of [[sock, "registered"], [def, "default"]]) {
    await waitUntil(async () => (await screen(box, socket)).includes(`${where}>`));
  }
  await box.writeSessions({ w: testEntry(sock, "w:0.0"), other: testEntry(sock, "other:0.0") });
  return { sock, def };
}

async function panePid(box: Sandbox, socket: string): Promise<number> {
  return Number(await box.tmux(socket, "display", "-p", "-t", "=w:0.0", "#{pane_pid}"));
}

Deno.test("-s wins unless both -S and -t are given", async (t) => {
  await using box = await Sandbox.create();
  const { sock, def } = await world(box);
  const defaultBefore = await screen(box, def);

  await t.step("safe-send -s w -t w:0.0: sends to the registered pane", async () => {
    const r = await box.run("safe-send", ["-s", "w", "-t", "w:0.0", "-c", "echo sent-to-$WHERE"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    await waitUntil(async () => (await screen(box, sock)).includes("sent-to-registered"));
  });

  await t.step("pane-health -s w -t w:0.0: the registered pane, healthy", async () => {
    const r = await box.run("pane-health", ["-s", "w", "-t", "w:0.0"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(json(r).status, "healthy");
    equal(json(r).pid, await panePid(box, sock));
  });

  await t.step("pane-health -s w -S elsewhere: -S alone is ignored", async () => {
    const r = await box.run("pane-health", ["-s", "w", "-S", box.socket("nowhere.sock")]);
    assertEquals([r.code, r.stderr], [0, ""]);
    equal(json(r).pid, await panePid(box, sock));
  });

  await t.step("wait-for-text -s w -S $S -p ...: waits on the registered pane", async () => {
    const r = await box.run("wait-for-text", [
      "-s",
      "w",
      "-S",
      sock,
      "-p",
      "^registered>",
      "-T",
      "5",
    ]);
    assertEquals([r.code, r.stderr], [0, ""]);
  });

  await t.step("capture-pane -s w -t w:0.0: the registered pane's text", async () => {
    const r = await box.run("capture-pane", ["-s", "w", "-t", "w:0.0"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertMatch(r.stdout, /^registered> /m);
    ok(!r.stdout.includes("default>"), r.stdout);
  });

  await t.step("run -s w -t w:0.0: runs in the registered pane", async () => {
    const r = await box.run("run", ["-s", "w", "-t", "w:0.0", "-c", "echo $WHERE"]);
    assertEquals([r.code, r.stdout, r.stderr], [0, "registered\n", ""]);
  });

  await t.step("with both -S and -t, they win over -s (kill-session too)", async () => {
    const health = await box.run("pane-health", ["-s", "other", "-S", sock, "-t", "w:0.0"]);
    assertEquals([health.code, json(health).pid], [0, await panePid(box, sock)]);
    const kill = await box.run("kill-session", ["-s", "other", "-S", sock, "-t", "w:0.0"]);
    equal(kill.code, 0, kill.stderr);
    equal((await box.tmuxRaw(sock, "has-session", "-t", "=w")).code, 1, "w killed on -S");
    assertEquals(Object.keys((await box.registry()).sessions), ["other"], "-s entry kept");
  });

  await t.step("the user's default server was never touched", async () => {
    equal(await screen(box, def), defaultBefore);
  });
});
