/**
 * Output integrity: every line a command prints comes back, in order, however
 * much the pane's history keeps; a cut is asked for (`--max-lines`) and said;
 * a loss that could not be avoided is reported, never returned as success.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { json, Sandbox, testEntry, waitUntil } from "./helpers.ts";

const BASH = ["env", "PS1=$ ", "bash", "--norc", "--noprofile"];
const PYTHON = ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"];

/** `seq 1 n` as its lines. */
function seq(n: number, from = 1): string[] {
  return Array.from({ length: n - from + 1 }, (_, i) => String(from + i));
}

/** A registered pane running `command`, at its prompt. */
async function session(
  box: Sandbox,
  name: string,
  command: string[],
  prompt: string,
  type = "shell",
) {
  const sock = box.socket();
  await box.newSession(sock, name, command);
  await waitUntil(
    async () =>
      (await box.tmux(sock, "capture-pane", "-p", "-J", "-t", `=${name}:`)).includes(prompt),
    { timeoutMs: 10_000, message: `${name} prompt` },
  );
  const registry = await Deno.readTextFile(box.registryFile).then(JSON.parse).catch(() => ({
    sessions: {},
  }));
  await box.writeSessions({ ...registry.sessions, [name]: testEntry(sock, `${name}:0.0`, type) });
  return sock;
}

Deno.test("run returns every line, whatever the pane's history keeps", async (t) => {
  await using box = await Sandbox.create();
  const sock = await session(box, "r", BASH, "$ ");
  equal((await box.tmux(sock, "display", "-p", "-t", "=r:", "#{history_limit}")).trim(), "2000");

  await t.step("seq 1 5000: all 5000 lines, in order", async () => {
    const r = await box.run("run", ["-s", "r", "-c", "seq 1 5000"]);
    equal(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").slice(0, -1), seq(5000));
  });

  await t.step("then, with the history full, seq 1 1000: all of it", async () => {
    const limit = Number(
      (await box.tmux(sock, "display", "-p", "-t", "=r:", "#{history_size}")).trim(),
    );
    // tmux drops a tenth of a full history at once: 1800 to 2000 lines once full.
    ok(limit >= 1800, `the history is full (${limit} lines)`);
    for (const n of [1000, 150, 199, 201]) {
      const r = await box.run("run", ["-s", "r", "-c", `seq 1 ${n}`]);
      equal(r.code, 0, r.stderr);
      assertEquals(r.stdout.split("\n").slice(0, -1), seq(n), `seq 1 ${n}`);
    }
  });

  await t.step("a million lines: all of them, checked whole", async () => {
    const r = await box.run("run", ["-s", "r", "-T", "60", "-c", "seq 1 1000000"]);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, `${seq(1_000_000).join("\n")}\n`);
  });
});

Deno.test("seq 1 1900 then seq 1 1500 on a fresh pane: both whole", async () => {
  await using box = await Sandbox.create();
  await session(box, "pair", BASH, "$ ");
  for (const n of [1900, 1500]) {
    const r = await box.run("run", ["-s", "pair", "-c", `seq 1 ${n}`]);
    equal(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").slice(0, -1), seq(n));
  }
});

Deno.test("run shows text as a terminal does: tabs, \\r progress, wide characters, no colours", async (t) => {
  await using box = await Sandbox.create();
  await session(box, "t", BASH, "$ ");
  const cases: [string, string, string][] = [
    ["a tab stays a tab", "printf 'a\\tb\\n'", "a\tb\n"],
    ["a \\r progress bar ends as its last state", "printf '10%%\\r50%%\\r100%%\\n'", "100%\n"],
    ["colours are dropped", "printf '\\033[31mred\\033[0m plain\\n'", "red plain\n"],
    [
      "CJK and emoji",
      "printf '\\344\\275\\240\\345\\245\\275 \\360\\237\\230\\200 ok\\n'",
      "你好 😀 ok\n",
    ],
    ["a last line without a newline", "printf 'no newline'", "no newline\n"],
    ["output that looks like a marker is output", "echo '__ctmux_x_0__'", "__ctmux_x_0__\n"],
  ];
  for (const [label, command, expected] of cases) {
    await t.step(label, async () => {
      const r = await box.run("run", ["-s", "t", "-c", command]);
      equal(r.code, 0, r.stderr);
      equal(r.stdout, expected);
    });
  }
  await t.step("--json carries no escape codes", async () => {
    const r = await box.run("run", [
      "-s",
      "t",
      "--json",
      "-c",
      "printf '\\033[1;32mgreen\\033[0m\\n'",
    ]);
    equal(json<{ output: string }>(r).output, "green");
  });
  await t.step("nothing the run adds shows on the screen but the typed line", async () => {
    const sock = [...box.sockets][0];
    const screen = await box.tmux(sock, "capture-pane", "-p", "-J", "-t", "=t:");
    ok(!/__ctmux_[0-9a-f]+_\d+__/.test(screen), screen);
  });
});

Deno.test("a 3000-row Python loop: every row, no false timeout", async () => {
  await using box = await Sandbox.create();
  await session(box, "py", PYTHON, ">>> ", "python-repl");
  const r = await box.run("run", ["-s", "py", "-T", "20", "-c", "for i in range(3000): print(i)"]);
  equal(r.code, 0, r.stderr);
  assertEquals(r.stdout.split("\n").slice(0, -1), seq(2999, 0));
});

Deno.test("gdb printing 3000 lines: every line, no false timeout", async () => {
  await using box = await Sandbox.create();
  await session(box, "gdb", ["gdb", "-q", "-nx"], "(gdb) ", "debugger");
  const off = await box.run("run", ["-s", "gdb", "-c", "set pagination off"]);
  equal(off.code, 0, off.stderr);
  const r = await box.run("run", [
    "-s",
    "gdb",
    "-T",
    "20",
    "-c",
    'python print("\\n".join(str(i) for i in range(3000)))',
  ]);
  equal(r.code, 0, r.stderr);
  assertEquals(r.stdout.split("\n").slice(0, -1), seq(2999, 0));
});

Deno.test("safe-send -w finds a line 1500 lines back", async () => {
  await using box = await Sandbox.create();
  await session(box, "w", BASH, "$ ");
  const r = await box.run("safe-send", [
    "-s",
    "w",
    "-c",
    "echo BEGIN_MARK; seq 1 1500",
    "-w",
    "^BEGIN_MARK$",
    "-T",
    "10",
  ]);
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
});

Deno.test("run --max-lines keeps the ends, says what it left out, and keeps it all in a private file", async (t) => {
  await using box = await Sandbox.create();
  await session(box, "m", BASH, "$ ");
  let file = "";

  await t.step("text: first and last lines around one note line", async () => {
    const r = await box.run("run", ["-s", "m", "--max-lines", "10", "-c", "seq 1 1000"]);
    equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").slice(0, -1);
    equal(lines.length, 11);
    assertEquals(lines.slice(0, 5), seq(5));
    assertEquals(lines.slice(6), seq(1000, 996));
    const note = /^\[\.\.\. 990 lines left out; all 1000 lines are in (.+) \.\.\.\]$/.exec(
      lines[5],
    );
    ok(note, lines[5]);
    file = note[1];
    equal(await Deno.readTextFile(file), `${seq(1000).join("\n")}\n`);
    equal((await Deno.stat(file)).mode! & 0o777, 0o600);
    ok(file.startsWith(join(box.socketDir, ".ctmux") + "/"), file);
  });

  await t.step("--json: truncated, lines_total, output_file", async () => {
    const r = await box.run("run", ["-s", "m", "--json", "--max-lines", "4", "-c", "seq 1 50"]);
    const out = json<
      { output: string; truncated: boolean; lines_total: number; output_file: string }
    >(r);
    equal(out.truncated, true);
    equal(out.lines_total, 50);
    equal(await Deno.readTextFile(out.output_file), `${seq(50).join("\n")}\n`);
    equal(out.output.split("\n").length, 5);
  });

  await t.step("under the bound: all of it, not truncated", async () => {
    const r = await box.run("run", ["-s", "m", "--json", "--max-lines", "10", "-c", "seq 1 10"]);
    const out = json<{ output: string; truncated: boolean; output_file: null }>(r);
    assertEquals([out.output, out.truncated, out.output_file], [seq(10).join("\n"), false, null]);
  });

  await t.step("kill-session removes the session's output files", async () => {
    const r = await box.run("kill-session", ["-s", "m"]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.stat(file).then(() => true, () => false), false);
  });

  await t.step("a bad --max-lines is an argument error", async () => {
    const r = await box.run("run", ["-s", "m", "--max-lines", "0", "-c", "true"]);
    equal(r.code, 4);
    equal(r.stderr, "Error: max-lines must be a positive integer\n");
  });
});

Deno.test("output files are per session and server: killing one session leaves its namesake's", async () => {
  await using box = await Sandbox.create();
  const files: string[] = [];
  for (const socket of [box.socket("one.sock"), box.socket("two.sock")]) {
    await box.newSession(socket, "same", BASH);
    await waitUntil(
      async () =>
        (await box.tmux(socket, "capture-pane", "-p", "-J", "-t", "=same:")).includes("$ "),
      { timeoutMs: 10_000, message: "the prompt" },
    );
    const r = await box.run("run", [
      "-S",
      socket,
      "-t",
      "same",
      "--json",
      "--max-lines",
      "2",
      "-c",
      "seq 1 9",
    ]);
    files.push(json<{ output_file: string }>(r).output_file);
  }
  ok(files[0] !== files[1], files.join(" "));
  const killed = await box.run("kill-session", ["-S", box.socket("one.sock"), "-t", "same"]);
  equal(killed.code, 0, killed.stderr);
  assertEquals(
    await Promise.all(files.map((f) => Deno.stat(f).then(() => true, () => false))),
    [false, true],
  );
});

Deno.test("a pane that pipes its output elsewhere: run reads the grid and says when lines were lost", async (t) => {
  await using box = await Sandbox.create();
  const sock = await session(box, "p", BASH, "$ ");
  const log = join(box.root, "their.log");
  await box.tmux(sock, "pipe-pane", "-O", "-t", "=p:", `cat >> '${log}'`);

  await t.step("a short output is whole and exits 0", async () => {
    const r = await box.run("run", ["-s", "p", "-c", "seq 1 20"]);
    equal(r.code, 0, r.stderr);
    assertEquals(r.stdout.split("\n").slice(0, -1), seq(20));
  });

  await t.step("an output past the history: exit 5 and one line saying so", async () => {
    const r = await box.run("run", ["-s", "p", "-c", "seq 1 5000"]);
    equal(r.code, 5);
    assertMatch(r.stderr, /^Error: Output incomplete: pane p:0\.0 pipes its output elsewhere/);
    equal(r.stderr.split("\n").length, 2, r.stderr);
  });

  await t.step("their pipe is left as it was", async () => {
    equal((await box.tmux(sock, "display", "-p", "-t", "=p:", "#{pane_pipe}")).trim(), "1");
    ok((await Deno.readTextFile(log)).includes("5000"));
  });
});
