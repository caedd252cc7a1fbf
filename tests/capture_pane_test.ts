import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { json, Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";

/** Starts a session that prints `script`'s output and then idles, and waits for `last`. */
async function printed(box: Sandbox, sock: string, name: string, script: string, last: string) {
  await box.newSession(sock, name, ["sh", "-c", `${script}; exec sleep 300`]);
  await waitUntil(
    async () =>
      (await box.tmux(sock, "capture-pane", "-p", "-J", "-t", `=${name}:`)).includes(last),
    { message: `${name} output` },
  );
}

Deno.test("capture-pane prints a pane's text", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await printed(box, sock, "text", "printf 'line1\\n\\nline2  \\n'", "line2");
  await printed(box, sock, "long", "printf '%0100d\\n' 0", "0000");
  await printed(box, sock, "hist", "seq 1 50", "50");
  await printed(box, sock, "color", "printf '\\033[31mred\\033[0m plain\\n'", "plain");
  await box.writeSessions({ text: entry(sock, "text:0.0") });

  await t.step("the visible screen, trailing blank lines trimmed", async () => {
    const r = await box.run("capture-pane", ["-s", "text"]);
    equal(r.code, 0);
    equal(r.stdout, "line1\n\nline2\n");
    equal(r.stderr, "");
  });

  await t.step("the registry's only session without a target", async () => {
    const r = await box.run("capture-pane", []);
    equal(r.code, 0);
    equal(r.stdout, "line1\n\nline2\n");
  });

  await t.step("a long line: two rows, or one with -J", async () => {
    const rows = await box.run("capture-pane", ["-S", sock, "-t", "long"]);
    equal(rows.stdout, `${"0".repeat(80)}\n${"0".repeat(20)}\n`);
    const joined = await box.run("capture-pane", ["-S", sock, "-t", "long", "-J"]);
    equal(joined.stdout, `${"0".repeat(100)}\n`);
  });

  await t.step("screen, last N lines with history, whole history", async () => {
    const seq = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join("");
    equal((await box.run("capture-pane", ["-S", sock, "-t", "hist"])).stdout, seq(28, 50));
    equal(
      (await box.run("capture-pane", ["-S", sock, "-t", "hist", "-n", "5"])).stdout,
      seq(46, 50),
    );
    equal(
      (await box.run("capture-pane", ["-S", sock, "-t", "hist", "-n", "40"])).stdout,
      seq(11, 50),
    );
    equal((await box.run("capture-pane", ["-S", sock, "-t", "hist", "-a"])).stdout, seq(1, 50));
  });

  await t.step("colour escapes only with -e", async () => {
    equal((await box.run("capture-pane", ["-S", sock, "-t", "color"])).stdout, "red plain\n");
    const kept = await box.run("capture-pane", ["-S", sock, "-t", "color", "-e"]);
    equal(kept.stdout, "\x1b[31mred\x1b[39m plain\n");
  });

  await t.step("--json: target and lines", async () => {
    const r = await box.run("capture-pane", ["-s", "text", "--json"]);
    equal(r.code, 0);
    const out = json(r);
    assertEquals(Object.keys(out), ["target", "lines", "cursor"]);
    assertEquals({ ...out, cursor: typeof out.cursor }, {
      target: "text:0.0",
      lines: ["line1", "", "line2"],
      cursor: "string",
    });
    equal(r.stderr, "");
  });

  await t.step("a pane with nothing on it prints nothing", async () => {
    await box.newSession(sock, "blank", ["sleep", "300"]);
    const r = await box.run("capture-pane", ["-S", sock, "-t", "blank"]);
    equal(r.code, 0);
    equal(r.stdout, "");
    const out = json(await box.run("capture-pane", ["-S", sock, "-t", "blank", "--json"]));
    assertEquals({ ...out, cursor: typeof out.cursor }, {
      target: "blank",
      lines: [],
      cursor: "string",
    });
  });
});

Deno.test("capture-pane exit codes: 1 arguments and look-up, 2 missing, 4 no server", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "foobar", ["sleep", "300"]);

  await t.step("session or pane missing: exit 2", async () => {
    const session = await box.run("capture-pane", ["-S", sock, "-t", "foo"]);
    equal(session.code, 2);
    equal(session.stderr, "Error: Session does not exist (target: foo)\n");
    const pane = await box.run("capture-pane", ["-S", sock, "-t", "foobar:0.3"]);
    equal(pane.code, 2);
    equal(pane.stderr, "Error: Pane does not exist (target: foobar:0.3)\n");
  });

  await t.step("server not running: exit 4", async () => {
    const r = await box.run("capture-pane", ["-S", box.socket("none.sock"), "-t", "x"]);
    equal(r.code, 4);
    assertMatch(r.stderr, /^Error: tmux server is not running on socket: .*none\.sock\n$/);
    equal(r.stdout, "");
  });

  await t.step("argument and look-up errors: exit 1, one line", async () => {
    const cases: [string[], RegExp][] = [
      [["-S", sock, "-t", "foobar", "-n", "0"], /lines must be a positive integer/],
      [["-S", sock, "-t", "foobar", "-n", "x"], /lines must be a positive integer/],
      [["-S", sock, "-t", "foobar", "-n", "3", "-a"], /either -n or -a/],
      [["-S", sock], /-S\/--socket requires -t\/--target/],
      [["-S", sock, "-t", "foobar", "extra"], /Unexpected argument: extra/],
      [["-s", "nope"], /Session 'nope' not found in registry/],
      [[], /No sessions found in registry/],
    ];
    for (const [args, message] of cases) {
      const r = await box.run("capture-pane", args);
      equal(r.code, 1, args.join(" "));
      assertMatch(r.stderr, message);
      equal(r.stderr.split("\n").length, 2, r.stderr);
      equal(r.stdout, "");
    }
  });

  await t.step("several registered sessions and no -s: exit 1", async () => {
    await box.writeSessions({ a: entry(sock, "a:0.0"), b: entry(sock, "b:0.0") });
    const r = await box.run("capture-pane", []);
    equal(r.code, 1);
    assertMatch(r.stderr, /Multiple sessions found \(2 total\)/);
  });

  await t.step("-h prints usage naming capture-pane.sh, with examples", async () => {
    const r = await box.run("capture-pane", ["-h"]);
    equal(r.code, 0);
    assertMatch(r.stdout, /^Usage: capture-pane\.sh /);
    assertMatch(r.stdout, /Examples:\n {2}capture-pane\.sh /);
  });
});
