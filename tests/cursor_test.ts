import { deepEqual, equal, match as assertMatch, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { readSince as readSinceApi } from "../lib/api.ts";
import { cursorAt, parseCursor, readSince, type SinceRead } from "../lib/cursor.ts";
import { PaneLog } from "../lib/log.ts";
import { json, Sandbox, sessionOutputDir, waitUntil } from "./helpers.ts";
import { BASH, screen, shell, type } from "./fixtures/shell_panes.ts";

type Since = { target: string; lines: string[]; cursor: string; lines_lost: number | null };

Deno.test("capture-pane --json gives a cursor; --since prints what came after it", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "w", 100);

  let cursor = "";
  await t.step("--json: target, lines, cursor", async () => {
    const r = await box.run("capture-pane", ["-s", "w", "--json"]);
    equal(r.code, 0, r.stderr);
    const out = json<{ target: string; lines: string[]; cursor: string }>(r);
    deepEqual(Object.keys(out), ["target", "lines", "cursor"]);
    deepEqual(out.lines, ["$"]);
    cursor = out.cursor;
    assertMatch(cursor, /^ctmux1:\d+:%\d+:[0-9a-f]{8}:\d+:\d+$/);
  });

  await t.step("5000 lines after the cursor, with a history of 100: every one", async () => {
    await type(box, sock, "w", "seq 1 5000");
    await waitUntil(async () => (await screen(box, sock, "=w:")).includes("5000\n$"));
    const r = await box.run("capture-pane", ["-s", "w", "--since", cursor, "--json"]);
    equal(r.code, 0, r.stderr);
    const out = json<Since>(r);
    deepEqual(out.lines, [
      "seq 1 5000",
      ...Array.from({ length: 5000 }, (_, i) => String(i + 1)),
      "$ ",
    ]);
    equal(out.lines_lost, 0);
    // The pane's own history kept only the last 100 lines of it.
    const all = await box.run("capture-pane", ["-s", "w", "-a"]);
    assert(all.stdout.split("\n").length < 200, `${all.stdout.split("\n").length} lines`);
    cursor = out.cursor;
  });

  await t.step("the next read starts where the last one ended (text form)", async () => {
    await type(box, sock, "w", "echo next-$((6*7))");
    await waitUntil(async () => (await screen(box, sock, "=w:")).includes("next-42\n$"));
    const r = await box.run("capture-pane", ["-s", "w", "--since", cursor]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    equal(r.stdout, "echo next-$((6*7))\nnext-42\n$ \n");
  });

  await t.step("a cursor of another pane is an argument error", async () => {
    const other = await box.tmux(
      sock,
      "split-window",
      "-P",
      "-F",
      "#{pane_id}",
      "-t",
      "=w:",
      ...BASH,
    );
    const r = await box.run("capture-pane", ["-S", sock, "-t", other.trim(), "--since", cursor]);
    equal(r.code, 1);
    assertMatch(
      r.stderr,
      /^Error: Cursor is from pane %\d+ of the tmux server with pid \d+, not from pane %\d+/,
    );
    equal(r.stdout, "");
  });

  await t.step("bad cursors and flag mixes are argument errors", async () => {
    for (
      const [args, message] of [
        [["--since", "nope"], /^Error: Invalid cursor: "nope"/],
        [["--since", cursor, "-n", "5"], /^Error: --since prints the output after a cursor/],
        [["--since", cursor, "-a"], /^Error: --since prints the output after a cursor/],
      ] as const
    ) {
      const r = await box.run("capture-pane", ["-s", "w", ...args]);
      equal(r.code, 1, args.join(" "));
      assertMatch(r.stderr, message);
      equal(r.stderr.split("\n").length, 2);
    }
  });
});

Deno.test("a cursor whose lines the log no longer keeps says exactly how many were lost", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "small");
  const context = await box.context();
  const { pane } = await context.pane({ session: "small" });
  // A small log: 3 segments of 4 KiB.
  const log = await PaneLog.open(pane, context.paths.socketDir, { segmentBytes: 4096, keep: 3 });
  assert(log !== null);
  const cursor = cursorAt(log, log.end(true));
  await type(box, sock, "small", "seq 1 5000");
  const { pane: now } = await context.pane({ session: "small" });
  // (Under load the log's writers can trail the screen: read until the last line is in.)
  const read = await waitUntil(async () => {
    const got = await readSince(now, context.paths.socketDir, cursor);
    return got.lines.at(-1) === "$ " ? got : null;
  }) as SinceRead;
  // After the cursor: the echo line, then 5000 lines; the log keeps at most 12 KiB of them.
  assert(read.linesLost !== null && read.linesLost > 0, String(read.linesLost));
  equal(read.linesLost + read.lines.length - 1, 5001);
  equal(read.linesLost, Number(read.lines[1]) - 1);
  equal(read.lines.at(-2), "5000");
  // And the tool says so on stderr.
  const r = await box.run("capture-pane", ["-s", "small", "--since", cursor]);
  equal(r.code, 0);
  equal(
    r.stderr,
    `Warning: ${read.linesLost} lines after the cursor are no longer kept ` +
      "(the output log keeps the last 16 MiB)\n",
  );
});

Deno.test("a cursor taken now never lies before what the screen shows", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "burst");
  const context = await box.context();
  await type(
    box,
    sock,
    "burst",
    'for i in $(seq 1 15); do seq -f "before-$i-%g" 1 3000; read x; echo "after-$i"; done',
  );
  for (let i = 1; i <= 15; i++) {
    await waitUntil(async () =>
      (await screen(box, sock, "=burst:")).includes(`before-${i}-3000\n`)
    );
    const { cursor } = await readSinceApi({ context, session: "burst" });
    await box.tmux(sock, "send-keys", "-t", "=burst:", "Enter");
    // The next round scrolls "after-i" off the screen at once: read until it is there.
    const read = await waitUntil(async () => {
      const got = await readSinceApi({ context, session: "burst", since: cursor });
      return got.lines.includes(`after-${i}`) ? got : null;
    }) as SinceRead;
    assert(!read.lines.some((line) => line.startsWith(`before-${i}-`)), `round ${i} repeated`);
    assert(read.lines.includes(`after-${i}`), `round ${i}: ${read.lines.slice(0, 3)}`);
    equal(read.linesLost, 0);
  }
});

Deno.test("--json cursors of safe-send, wait-for-text and run; the log ends with the session", async (t) => {
  await using box = await Sandbox.create();
  const made = await box.run("create-session", ["-n", "made"]);
  equal(made.code, 0, made.stderr);
  const sock = box.defaultSocket;
  await waitUntil(async () => (await screen(box, sock, "=made:")).trim() !== "");

  await t.step("create-session starts the pane's log and a large history", async () => {
    equal(
      (await box.tmux(sock, "display", "-p", "-t", "=made:", "#{pane_pipe} #{history_limit}"))
        .trim(),
      "1 50000",
    );
    // The server's global history-limit is as it was.
    equal((await box.tmux(sock, "show-options", "-gv", "history-limit")).trim(), "2000");
    // Also when tmux refuses the new session (the command list stops there).
    const twice = await box.run("create-session", ["-n", "made", "--no-register"]);
    equal(twice.code, 2, twice.stderr);
    equal((await box.tmux(sock, "show-options", "-gv", "history-limit")).trim(), "2000");
  });

  let cursor = "";
  await t.step("safe-send --json: the cursor at the send", async () => {
    const r = await box.run("safe-send", ["-s", "made", "-c", "echo one", "-w", "^one$", "--json"]);
    equal(r.code, 0, r.stderr);
    const out = json<{ result: string; line: string; cursor: string }>(r);
    deepEqual([out.result, out.line], ["matched", "one"]);
    cursor = out.cursor;
    const since = json<Since>(
      await box.run("capture-pane", ["-s", "made", "--since", cursor, "--json"]),
    );
    assert(since.lines.includes("one"), since.lines.join("|"));
  });

  await t.step("wait-for-text --json: the cursor as the wait began", async () => {
    const r = await box.run("wait-for-text", ["-s", "made", "-p", "^one$", "--json"]);
    equal(r.code, 0, r.stderr);
    const out = json<{ result: string; line: string; cursor: string }>(r);
    deepEqual([out.result, out.line], ["matched", "one"]);
    const since = json<Since>(
      await box.run("capture-pane", ["-s", "made", "--since", out.cursor, "--json"]),
    );
    deepEqual(since.lines, []);
  });

  await t.step("run --json: the cursor at the end of the run", async () => {
    const r = await box.run("run", ["-s", "made", "--json", "-c", "echo two"]);
    equal(r.code, 0, r.stderr);
    const out = json<{ output: string; cursor: string }>(r);
    equal(out.output, "two");
    await type(box, sock, "made", "echo three");
    await waitUntil(async () => (await screen(box, sock, "=made:")).includes("three\n"));
    const since = json<Since>(
      await box.run("capture-pane", ["-s", "made", "--since", out.cursor, "--json"]),
    );
    assert(since.lines.includes("three") && !since.lines.includes("two"), since.lines.join("|"));
    const first = json<Since>(
      await box.run("capture-pane", ["-s", "made", "--since", cursor, "--json"]),
    );
    assert(first.lines.includes("two") && first.lines.includes("three"), first.lines.join("|"));
  });

  await t.step("kill-session closes and removes the log", async () => {
    const { logId } = parseCursor(cursor);
    const outputDir = sessionOutputDir(box, "made");
    const before = [...Deno.readDirSync(join(outputDir, "log"))].map((e) => e.name);
    assert(before.some((name) => name.includes(logId)), before.join(" "));
    equal((await box.run("kill-session", ["-s", "made"])).code, 0);
    equal(await Deno.stat(outputDir).then(() => "there", () => "gone"), "gone");
  });
});

Deno.test("cleanup-sessions of a live session stops its log and removes it", async () => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "live"])).code, 0);
  const sock = box.defaultSocket;
  equal((await box.tmux(sock, "display", "-p", "-t", "=live:", "#{pane_pipe}")).trim(), "1");
  const r = await box.run("cleanup-sessions", ["--all"]);
  equal(r.code, 0, r.stderr);
  equal((await box.tmux(sock, "display", "-p", "-t", "=live:", "#{pane_pipe}")).trim(), "0");
  const outputDir = sessionOutputDir(box, "live");
  equal(await Deno.stat(outputDir).then(() => "there", () => "gone"), "gone");
});

Deno.test("safe-send --print: a pdb step in one call", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await shell(box, sock, "dbg");
  const script = join(box.root, "steps.py");
  await Deno.writeTextFile(script, "x = 1\ny = x + 1\nprint('y is', y)\n");
  await type(box, sock, "dbg", "python3 -m pdb steps.py");
  await waitUntil(async () => (await screen(box, sock, "=dbg:")).includes("(Pdb) "));
  const r = await box.run("safe-send", [
    "-s",
    "dbg",
    "-c",
    "n",
    "-w",
    "^\\(Pdb\\) ",
    "--print",
    "-T",
    "10",
  ]);
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
  equal(r.stdout, `> ${script}(2)<module>()\n-> y = x + 1\n(Pdb) \n`);
  const step = await box.run("safe-send", [
    "-s",
    "dbg",
    "-c",
    "n",
    "-w",
    "^\\(Pdb\\) ",
    "--print",
    "--json",
    "-T",
    "10",
  ]);
  equal(step.code, 0, step.stderr);
  const out = json<{ result: string; line: string; cursor: string; output: string[] }>(step);
  deepEqual(Object.keys(out), ["result", "line", "cursor", "output"]);
  deepEqual(out.output, [`> ${script}(3)<module>()`, "-> print('y is', y)", "(Pdb) "]);
  // The cursor is at the end of what was printed: nothing after it yet.
  const since = json<Since>(
    await box.run("capture-pane", ["-s", "dbg", "--since", out.cursor, "--json"]),
  );
  deepEqual(since.lines, []);
  // --print needs an end to wait for.
  const bad = await box.run("safe-send", ["-s", "dbg", "-c", "n", "--print"]);
  equal(bad.code, 4);
  equal(bad.stderr, "Error: --print needs -w or --idle (the end of the output to print)\n");
});

Deno.test("a socket folder whose path holds % and #: taps and logs work", async () => {
  await using box = await Sandbox.create();
  // tmux reads % (strftime) and # (formats) in a pipe-pane command: both must reach the shell as is.
  const odd = join(box.root, "odd%2F%d#{pid}dir");
  const env = { CLAUDE_TMUX_SOCKET_DIR: odd };
  equal((await box.run("create-session", ["-n", "logged"], { env })).code, 0);
  const sock = join(odd, "claude.sock");
  box.sockets.add(sock);
  await box.tmux(sock, "new-session", "-d", "-s", "bare", ...BASH);
  // A pane with the log (create-session's) and one without (a temporary tap).
  for (const name of ["logged", "bare"]) {
    const r = await box.run("run", [
      "-S",
      sock,
      "-t",
      name,
      "-T",
      "10",
      "-c",
      "echo tapped-$((6*7))",
    ], {
      env,
    });
    equal(r.code, 0, `${name}: ${r.stderr}`);
    equal(r.stdout, "tapped-42\n");
  }
  const out = json<Since>(
    await box.run("capture-pane", ["-S", sock, "-t", "logged", "--json"], { env }),
  );
  await box.tmux(sock, "send-keys", "-t", "=logged:", "echo later", "Enter");
  await waitUntil(async () => (await screen(box, sock, "=logged:")).includes("later\n"));
  const since = json<Since>(
    await box.run("capture-pane", ["-S", sock, "-t", "logged", "--since", out.cursor, "--json"], {
      env,
    }),
  );
  assert(since.lines.includes("later"), since.lines.join("|"));
});

Deno.test("a pane whose log's pipe someone replaced: no cursor, and waits read the grid", async () => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "theirs"])).code, 0);
  const sock = box.defaultSocket;
  const cursor = await waitUntil(async () =>
    json<{ cursor: string | null }>(await box.run("capture-pane", ["-s", "theirs", "--json"]))
      .cursor
  );
  // Their own pipe-pane replaces the log's pipe: the log ends.
  await box.tmux(sock, "pipe-pane", "-t", "=theirs:", "cat > /dev/null");
  await waitUntil(async () =>
    json<{ cursor: string | null }>(await box.run("capture-pane", ["-s", "theirs", "--json"]))
      .cursor === null
  );
  const r = await box.run("safe-send", [
    "-s",
    "theirs",
    "-c",
    "echo mine",
    "-w",
    "^mine$",
    "-T",
    "10",
  ]);
  equal(r.code, 0, r.stderr);
  // Their pipe is left as it is.
  equal((await box.tmux(sock, "display", "-p", "-t", "=theirs:", "#{pane_pipe}")).trim(), "1");
  const since = await box.run("capture-pane", ["-s", "theirs", "--since", cursor ?? ""]);
  equal(since.code, 1);
  assertMatch(since.stderr, /^Error: Cannot read the output of pane %\d+ after a cursor: .*\n$/);
});

Deno.test("a run after a timed-out run that ended keeps reading the pane's log (the log's pipe stays)", async () => {
  await using box = await Sandbox.create();
  equal((await box.run("create-session", ["-n", "logged"])).code, 0);
  const late = await box.run("run", ["-s", "logged", "-T", "0.3", "-c", "sleep 1; echo one"]);
  equal(late.code, 124, late.stderr);
  const sock = box.socketDir + "/claude.sock";
  await waitUntil(async () => (await screen(box, sock, "=logged:")).includes("\none\n"));
  const before = json<{ cursor: string }>(
    await box.run("capture-pane", ["-s", "logged", "--json"]),
  );
  // This run finds the ended one pending and settles it, then taps the pane.
  const two = await box.run("run", ["-s", "logged", "-c", "echo two"]);
  equal(two.code, 0, two.stderr);
  equal(two.stdout, "two\n");
  // The cursor taken before it is still in the same log: the log's pipe was not replaced.
  const since = await box.run("capture-pane", ["-s", "logged", "--since", before.cursor, "--json"]);
  equal(since.code, 0, since.stderr);
  assert(json<Since>(since).lines.includes("two"), since.stdout);
});
