import { deepEqual, equal, match as assertMatch, ok as assert } from "node:assert/strict";
import { send } from "../lib/api.ts";
import { UsageError } from "../lib/errors.ts";
import { isKeyName, parseKeys } from "../lib/keys.ts";
import { Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";

const BASH = ["env", "PS1=$ ", "bash", "--norc", "--noprofile"];

async function screen(box: Sandbox, sock: string, target: string): Promise<string> {
  return await box.tmux(sock, "capture-pane", "-p", "-J", "-t", target);
}

async function showing(
  box: Sandbox,
  sock: string,
  target: string,
  test: (s: string) => boolean,
): Promise<string> {
  return await waitUntil(async () => {
    const text = await screen(box, sock, target);
    return test(text) ? text : "";
  }, { message: `the screen of ${target}` });
}

Deno.test("key names: tmux's table, modifiers, single characters; nothing else", () => {
  for (const key of ["Space", "enter", "Escape", "BSpace", "PgUp", "NPage", "F12", "KPEnter"]) {
    assert(isKeyName(key), key);
  }
  for (const key of ["C-c", "M-x", "C-M-Left", "S-F5", "^C", "q", ":", ";", "é", "C--"]) {
    assert(isKeyName(key), key);
  }
  for (const key of ["Spcae", "ls", "C-", "F13", "Ctrl-c", ""]) assert(!isKeyName(key), key);
  deepEqual(parseKeys(" Escape :  w q Enter "), ["Escape", ":", "w", "q", "Enter"]);
  for (const text of ["", "   ", "Space Spcae"]) {
    try {
      parseKeys(text);
      assert(false, `accepted ${JSON.stringify(text)}`);
    } catch (error) {
      assert(error instanceof UsageError, String(error));
      equal(error.message.includes("\n"), false);
    }
  }
});

Deno.test("safe-send --keys presses keys in less with no Enter added", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await Deno.writeTextFile(
    `${box.root}/lines.txt`,
    Array.from({ length: 200 }, (_, i) => `line ${i + 1}`).join("\n") + "\n",
  );
  await box.tmux(sock, "new-session", "-d", "-s", "pager", "-x", "80", "-y", "24", ...BASH);
  await box.writeSessions({ pager: entry(sock, "pager:0.0") });
  await showing(box, sock, "=pager:", (s) => s.startsWith("$ "));
  await box.tmux(sock, "send-keys", "-t", "=pager:", `cd ${box.root} && less lines.txt`, "Enter");
  await showing(box, sock, "=pager:", (s) => s.startsWith("line 1\n") && s.includes("line 23\n"));

  await t.step("Space scrolls exactly one page", async () => {
    const r = await box.run("safe-send", ["-s", "pager", "--keys", "Space"]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    // `=` shows the position once every key before it was handled: an Enter after
    // Space would have scrolled one line more (lines 25-47).
    equal((await box.run("safe-send", ["-s", "pager", "--keys", "="])).code, 0);
    const text = await showing(box, sock, "=pager:", (s) => /lines \d+-\d+/.test(s));
    assertMatch(text, /lines 24-46\/200/);
    assert(text.startsWith("line 24\n"), text);
  });

  await t.step("an unknown key name: exit 4, one line, nothing typed", async () => {
    const before = await screen(box, sock, "=pager:");
    const r = await box.run("safe-send", ["-s", "pager", "--keys", "Space Spcae"]);
    equal(r.code, 4);
    assertMatch(r.stderr, /^Unknown key name 'Spcae': use tmux key names .*\n$/);
    equal(await screen(box, sock, "=pager:"), before);
  });

  await t.step("--keys with -c, -l or -m is an argument error", async () => {
    for (const extra of [["-c", "x"], ["-l"], ["-m"]]) {
      const r = await box.run("safe-send", ["-s", "pager", "--keys", "q", ...extra]);
      equal(r.code, 4, extra.join(" "));
      equal(r.stderr, "Error: --keys replaces -c, -l and -m: give only one of them\n");
    }
  });

  await t.step("q quits with no extra prompt", async () => {
    const r = await box.run("safe-send", ["-s", "pager", "--keys", "q"]);
    equal(r.code, 0, r.stderr);
    const synced = await box.run("safe-send", [
      "-s",
      "pager",
      "-c",
      "echo synced",
      "-w",
      "^synced$",
      "-T",
      "10",
    ]);
    equal(synced.code, 0, synced.stderr);
    assertMatch(
      await screen(box, sock, "=pager:"),
      /\$ cd .* && less lines\.txt\n\$ echo synced\nsynced\n/,
    );
  });

  await t.step("with -w: C-c ends a sleep and the new prompt ends the wait", async () => {
    await box.tmux(sock, "send-keys", "-t", "=pager:", "sleep 30", "Enter");
    const r = await box.run("safe-send", [
      "-s",
      "pager",
      "--keys",
      "C-c",
      "-w",
      "^\\$ $",
      "-T",
      "10",
    ]);
    equal(r.code, 0, r.stderr);
    assertMatch(await screen(box, sock, "=pager:"), /\$ sleep 30\n\^C\n\$ \n*$/);
  });

  await t.step("the library: mode press", async () => {
    const context = await box.context();
    const sent = await send({
      context,
      session: "pager",
      text: "e c h o Space k e y s Enter",
      mode: "press",
      waitFor: "^keys$",
      waitMs: 10_000,
    });
    equal(sent.kind, "matched");
    const refused = await send({ context, session: "pager", text: "Nope", mode: "press" })
      .then(() => "sent", (error) => error instanceof UsageError ? "refused" : String(error));
    equal(refused, "refused");
  });
});
