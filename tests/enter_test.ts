import { equal, match as assertMatch, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { Sandbox, waitUntil } from "./helpers.ts";
import { screen, shell, type } from "./fixtures/shell_panes.ts";

const DROPS_ENTER = join(new URL(".", import.meta.url).pathname, "fixtures", "drops_enter.py");

Deno.test("an Enter that a program dropped is pressed once more", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "tui");
  await type(box, sock, "tui", `python3 ${DROPS_ENTER}`);
  await waitUntil(async () => (await screen(box, sock, "=tui:")).includes("\n> "));

  await t.step(
    "safe-send -w: the line arrives, Enter pressed again once (said with -v)",
    async () => {
      const r = await box.run("safe-send", [
        "-s",
        "tui",
        "-c",
        "hello",
        "-w",
        "^got: hello$",
        "-T",
        "10",
        "-v",
      ]);
      equal(r.code, 0, r.stderr);
      assertMatch(r.stderr, /\[safe-send\] Enter did not arrive .*: pressed it again\n/);
      const text = await screen(box, sock, "=tui:");
      equal(text.split("got: hello").length, 2, text);
      assert(!text.includes("got: \n"), `an extra Enter submitted an empty line:\n${text}`);
    },
  );

  await t.step("safe-send without -w too", async () => {
    const r = await box.run("safe-send", ["-s", "tui", "-c", "again"]);
    equal(r.code, 0, r.stderr);
    await waitUntil(async () => (await screen(box, sock, "=tui:")).includes("got: again\n"));
  });

  await t.step("--no-enter-check: the program dropped the Enter, the text stays", async () => {
    const r = await box.run("safe-send", [
      "-s",
      "tui",
      "-c",
      "later",
      "-w",
      "^got: later$",
      "-T",
      "1",
      "--no-enter-check",
      "--tail",
      "0",
    ]);
    equal(r.code, 2, r.stderr);
    const text = await screen(box, sock, "=tui:");
    assertMatch(text, /> later\s*$/);
    assert(!text.includes("got: later"), text);
    await box.tmux(sock, "send-keys", "-t", "=tui:", "C-c");
  });
});

Deno.test("a shell that takes Enter gets no second one", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "sh");
  for (const command of ["echo one", "true"]) {
    const r = await box.run("safe-send", ["-s", "sh", "-c", command, "-v"]);
    equal(r.code, 0, r.stderr);
    assert(!r.stderr.includes("Enter did not arrive"), r.stderr);
  }
  const r = await box.run("safe-send", ["-s", "sh", "-c", "echo two", "-w", "^two$", "-T", "10"]);
  equal(r.code, 0, r.stderr);
  await waitUntil(async () => (await screen(box, sock, "=sh:")).includes("two\n$"));
  // One prompt after each command: no empty line was submitted.
  assertMatch(
    await screen(box, sock, "=sh:"),
    /^\$ echo one\none\n\$ true\n\$ echo two\ntwo\n\$ \n/,
  );
});
