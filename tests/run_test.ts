import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
} from "node:assert/strict";
import { modeOfProgram, modeOfType } from "../lib/run/modes.ts";
import { shellLine } from "../lib/run/shell.ts";
import { join } from "node:path";
import { json, Sandbox, sessionOutputDir, testEntry as entry, waitUntil } from "./helpers.ts";
import { BASH, PYTHON, type RunJson, screen, started } from "./fixtures/run_panes.ts";

const GDB = ["gdb", "-q", "-nx"];

Deno.test("run in a shell prints exactly the command's output and exits with its status", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");
  await box.writeSessions({ sh: entry(sock, "sh:0.0", "shell") });

  await t.step("echo a; echo b; (exit 7): exactly a and b, exit 7", async () => {
    const r = await box.run("run", ["-s", "sh", "-c", "echo a; echo b; (exit 7)"]);
    equal(r.stdout, "a\nb\n");
    equal(r.code, 7);
    equal(r.stderr, "");
  });

  await t.step("a command without output: empty stdout, exit 0", async () => {
    const r = await box.run("run", ["-s", "sh", "-c", "true"]);
    equal(r.stdout, "");
    equal(r.code, 0);
    equal(r.stderr, "");
  });

  await t.step("output with prompt-like text is kept, and only this command's", async () => {
    await box.run("run", ["-s", "sh", "-c", "echo earlier-output"]);
    const r = await box.run("run", ["-s", "sh", "-c", "echo '$ x'; echo '>>> y'; echo '$'; false"]);
    equal(r.stdout, "$ x\n>>> y\n$\n");
    equal(r.code, 1);
  });

  await t.step("quotes, $() and a last line without newline", async () => {
    const r = await box.run("run", [
      "-s",
      "sh",
      "-c",
      `echo "it's \\"quoted\\"" $(echo sub) '$HOME'; printf 'no newline'`,
    ]);
    equal(r.stdout, `it's "quoted" sub $HOME\nno newline\n`);
    equal(r.code, 0);
  });

  await t.step("multi-line output, blank lines inside, and lines wider than the pane", async () => {
    const r = await box.run("run", ["-s", "sh", "-c", "seq 1 3; echo; printf '%0100d\\n' 0"]);
    equal(r.stdout, `1\n2\n3\n\n${"0".repeat(100)}\n`);
  });

  await t.step("a command of several lines, with a comment, runs as one", async () => {
    const r = await box.run("run", [
      "-s",
      "sh",
      "-c",
      "for i in 1 2; do\n  echo line-$i # a comment\ndone\n(exit 3)",
    ]);
    equal(r.stdout, "line-1\nline-2\n");
    equal(r.code, 3);
  });

  await t.step("a typed line that exactly fills the row keeps the first output line", async () => {
    // "$ " + the typed line is 160 columns: the output row follows two full rows.
    const suffix = shellLine("x", "0123456789abcdef", "bash").length - 1;
    const word = "y".repeat(158 - suffix - "echo ".length);
    equal(2 + shellLine(`echo ${word}`, "0123456789abcdef", "bash").length, 160);
    const r = await box.run("run", ["-s", "sh", "-c", `echo ${word}`]);
    equal(r.stdout, `${word}\n`);
  });

  await t.step("the command after -- and --json", async () => {
    const r = await box.run("run", ["-s", "sh", "--json", "--", "echo", "hi", "there"]);
    equal(r.code, 0);
    const out = json<RunJson>(r);
    assertEquals(Object.keys(out), [
      "output",
      "exit_code",
      "timed_out",
      "duration_ms",
      "run_id",
      "truncated",
      "lines_total",
      "output_file",
      "output_lost",
      "waiting_for_input",
      "prompt",
      "mode",
      "cursor",
    ]);
    equal(out.output, "hi there");
    equal(out.exit_code, 0);
    equal(out.timed_out, false);
    assert(Number.isInteger(out.duration_ms) && out.duration_ms >= 0);
    equal(r.stderr, "");
  });

  await t.step("the registry's only session is used without a target", async () => {
    const r = await box.run("run", ["-c", "echo auto"]);
    equal(r.stdout, "auto\n");
    equal(r.code, 0);
  });

  await t.step(
    "timed out: a run while it still runs is refused, --resume collects the rest",
    async () => {
      const r = await box.run("run", [
        "-s",
        "sh",
        "--json",
        "-T",
        "0.5",
        "-c",
        "echo started; sleep 1.5; echo finished; (exit 3)",
      ]);
      equal(r.code, 124);
      const first = json<RunJson>(r);
      assertEquals(first.output, "started");
      equal(first.timed_out, true);
      equal(first.exit_code, null);
      const busy = await box.run("run", ["-s", "sh", "--json", "-c", "echo next"]);
      equal(busy.code, 6, busy.stderr);
      assertMatch(
        json<{ error: string }>(busy).error,
        new RegExp(`still busy with run ${first.run_id}`),
      );
      const rest = await box.run("run", [
        "-s",
        "sh",
        "--json",
        "-T",
        "20",
        "--resume",
        first.run_id,
      ]);
      equal(rest.code, 3, rest.stderr);
      assertEquals(json<RunJson>(rest).output, "finished");
      equal(json<RunJson>(rest).exit_code, 3);
      const next = await box.run("run", ["-s", "sh", "--json", "-T", "20", "-c", "echo next"]);
      equal(next.code, 0, next.stderr);
      assertEquals(json<RunJson>(next).output, "next");
    },
  );
});

Deno.test("run of a 5 s command with -T 1: exit 124, partial output, still running", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "slow", BASH, "$ ");
  const r = await box.run("run", [
    "-S",
    sock,
    "-t",
    "slow",
    "-T",
    "1",
    "-c",
    "echo started; sleep 5; echo finished",
  ]);
  equal(r.code, 124);
  equal(r.stdout, "started\n");
  assertMatch(
    r.stderr,
    /^Timed out after 1s: the command is still running in pane slow \(collect it later with run --resume [0-9a-f]{16}\)\n$/,
  );
  const current = await box.tmux(
    sock,
    "display-message",
    "-p",
    "-t",
    "slow",
    "#{pane_current_command}",
  );
  equal(current.trim(), "sleep");
  assert(!(await screen(box, sock, "slow")).includes("\nfinished\n"));
});

Deno.test("run picks the mode from the program in the pane when there is no registry type", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "plain", BASH, "$ ");
  await started(box, sock, "repl", PYTHON, ">>> ");
  await box.newSession(sock, "other", ["sleep", "300"]);

  await t.step("bash by -S/-t", async () => {
    const r = await box.run("run", ["-S", sock, "-t", "plain:0.0", "-c", "echo $((6*7))"]);
    equal(r.stdout, "42\n");
    equal(r.code, 0);
  });

  await t.step("python3 by -S/-t", async () => {
    const r = await box.run("run", ["-S", sock, "-t", "repl", "-c", "print(6*7)"]);
    equal(r.stdout, "42\n");
    equal(r.code, 0);
  });

  await t.step("a pane running something else: refused naming it, exit 6", async () => {
    const r = await box.run("run", ["-S", sock, "-t", "other", "-c", "echo hi"]);
    equal(r.code, 6);
    equal(r.stdout, "");
    assertMatch(r.stderr, /^Error: Pane other runs 'sleep', which run does not drive .*\n$/);
  });

  await t.step("modes by registry type and by program name", () => {
    equal(modeOfType("python-repl"), "python");
    equal(modeOfType("debugger"), "gdb");
    equal(modeOfProgram("zsh"), "shell");
    equal(modeOfProgram("-bash"), "shell");
    equal(modeOfProgram("fish"), "shell");
    equal(modeOfProgram("python3.12"), "python");
    equal(modeOfProgram("/usr/bin/gdb"), "gdb");
    equal(modeOfProgram("vim"), undefined);
  });
});

Deno.test("run in a Python REPL and in gdb waits for the prompt", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "py", PYTHON, ">>> ");
  await started(box, sock, "gdb", GDB, "(gdb) ");
  await box.writeSessions({
    py: entry(sock, "py:0.0", "python-repl"),
    gdb: entry(sock, "gdb:0.0", "debugger"),
  });

  await t.step("print(6*7) prints 42, exit 0", async () => {
    const r = await box.run("run", ["-s", "py", "-c", "print(6*7)"]);
    equal(r.stdout, "42\n");
    equal(r.code, 0);
    equal(r.stderr, "");
  });

  await t.step("an expression's value, and prompt-like output", async () => {
    equal((await box.run("run", ["-s", "py", "-c", "6*7"])).stdout, "42\n");
    const r = await box.run("run", ["-s", "py", "-c", "print('>>> x'); print('>>>')"]);
    equal(r.stdout, ">>> x\n>>>\n");
    equal(r.code, 0);
  });

  await t.step("a traceback: printed, exit 1", async () => {
    const r = await box.run("run", ["-s", "py", "-c", "1/0"]);
    equal(r.code, 1);
    assertMatch(r.stdout, /^Traceback \(most recent call last\):\n[\s\S]*ZeroDivisionError/);
    const syntax = await box.run("run", ["-s", "py", "-c", "1 +* 2"]);
    equal(syntax.code, 1);
    assertMatch(syntax.stdout, /SyntaxError/);
  });

  await t.step("blocks: a one-line loop and a multi-line definition", async () => {
    const loop = await box.run("run", ["-s", "py", "-c", "for i in range(3): print(i)"]);
    equal(loop.stdout, "0\n1\n2\n");
    const block = await box.run("run", [
      "-s",
      "py",
      "-c",
      "def twice(x):\n    return 2 * x\n\nx = 5\nprint(twice(x))",
    ]);
    equal(block.stdout, "10\n");
    equal(block.code, 0);
  });

  await t.step("no output: empty stdout", async () => {
    const r = await box.run("run", ["-s", "py", "--json", "-c", "y = 1"]);
    equal(json<RunJson>(r).output, "");
    equal(r.code, 0);
  });

  await t.step("a slow statement times out with its output so far", async () => {
    const r = await box.run("run", [
      "-s",
      "py",
      "-T",
      "0.5",
      "-c",
      "import time; print('begun', flush=True); time.sleep(1.5); print('done')",
    ]);
    equal(r.code, 124);
    equal(r.stdout, "begun\n");
    assertMatch(r.stderr, /still running in pane py:0\.0/);
    await waitUntil(async () => (await screen(box, sock, "py")).includes("done\n>>> "), {
      timeoutMs: 10_000,
    });
  });

  await t.step("gdb: output before the (gdb) prompt", async () => {
    const r = await box.run("run", ["-s", "gdb", "-c", "print 6*7"]);
    equal(r.stdout, "$1 = 42\n");
    equal(r.code, 0);
  });
});

Deno.test("parallel runs in two sessions each return their own output", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "left", BASH, "$ ");
  await started(box, sock, "right", BASH, "$ ");
  await box.writeSessions({
    left: entry(sock, "left:0.0", "shell"),
    right: entry(sock, "right:0.0", "shell"),
  });
  const loop = (tag: string) => `for i in 1 2 3; do echo ${tag}$i; sleep 0.1; done`;
  const [left, right] = await Promise.all([
    box.run("run", ["-s", "left", "-c", loop("L")]),
    box.run("run", ["-s", "right", "-c", loop("R")]),
  ]);
  equal(left.stdout, "L1\nL2\nL3\n");
  equal(right.stdout, "R1\nR2\nR3\n");
  equal(left.code, 0);
  equal(right.code, 0);
});

Deno.test("run reports a gone pane with exit 3 and bad arguments with exit 4", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");
  await started(box, sock, "quits", BASH, "$ ");
  await box.writeSessions({
    sh: entry(sock, "sh:0.0", "shell"),
    quits: entry(sock, "quits:0.0", "shell"),
  });

  await t.step(
    "the shell exits during the run: exit 3 with a message (--json: an object)",
    async () => {
      const r = await box.run("run", ["-s", "quits", "-c", "echo bye; exit 5"]);
      equal(r.code, 3);
      equal(r.stderr, "Error: Pane quits:0.0 is gone (the pane no longer exists)\n");
      equal(r.stdout, "");
      await started(box, sock, "quits2", BASH, "$ ");
      const j = await box.run("run", ["-S", sock, "-t", "quits2", "--json", "-c", "exit 5"]);
      equal(j.code, 3);
      const out = json<{ error: string; exit_code: number; run_id: string }>(j);
      assertEquals([out.error, out.exit_code], [
        "Pane quits2 is gone (the pane no longer exists)",
        3,
      ]);
      assertMatch(out.run_id, /^[0-9a-f]{16}$/);
    },
  );

  await t.step("a dead pane: exit 3 before anything is typed", async () => {
    await box.tmux(sock, "set-option", "-g", "remain-on-exit", "on");
    await box.tmux(sock, "new-session", "-d", "-s", "dies", "sh", "-c", "exit 0");
    await waitUntil(async () =>
      (await box.tmux(sock, "display", "-p", "-t", "=dies:", "#{pane_dead}")).trim() === "1"
    );
    const r = await box.run("run", ["-S", sock, "-t", "dies", "-c", "true"]);
    equal(r.code, 3);
    equal(r.stderr, "Error: Pane dies is gone (the pane is dead)\n");
  });

  await t.step("missing session, missing pane, no server: exit 3", async () => {
    const missing = await box.run("run", ["-S", sock, "-t", "nope:0.0", "-c", "true"]);
    equal(missing.code, 3);
    equal(missing.stderr, "Error: Session does not exist (target: nope:0.0)\n");
    const pane = await box.run("run", ["-S", sock, "-t", "sh:0.7", "-c", "true"]);
    equal(pane.code, 3);
    equal(pane.stderr, "Error: Pane does not exist (target: sh:0.7)\n");
    const server = await box.run("run", ["-S", box.socket("none.sock"), "-t", "x", "-c", "true"]);
    equal(server.code, 3);
    assertMatch(server.stderr, /^Error: tmux server is not running on socket: .*none\.sock\n$/);
  });

  await t.step("argument and look-up errors: exit 4, one line", async () => {
    const cases: [string[], RegExp][] = [
      [["-s", "sh"], /command is required/],
      [["-s", "sh", "-c", "   "], /command is required/],
      [["-s", "sh", "-c", "true", "--", "echo"], /either with -c or after --/],
      [["-s", "sh", "-T", "soon", "-c", "true"], /timeout must be a positive number/],
      [["-s", "sh", "-c", "true", "--bogus"], /Unknown option: --bogus/],
      [["-S", sock, "-c", "true"], /-S\/--socket requires -t\/--target/],
      [["-s", "nope", "-c", "true"], /Session 'nope' not found in registry/],
      [["-c", "true"], /Multiple sessions found \(2 total\)/],
    ];
    for (const [args, message] of cases) {
      const r = await box.run("run", args);
      equal(r.code, 4, args.join(" "));
      assertMatch(r.stderr, message);
      equal(r.stderr.split("\n").length, 2, r.stderr);
      equal(r.stdout, "");
    }
  });

  await t.step("-h prints usage naming run.sh, with examples", async () => {
    const r = await box.run("run", ["-h"]);
    equal(r.code, 0);
    assertMatch(r.stdout, /^Usage: run\.sh /);
    assertMatch(r.stdout, /Examples:\n {2}run\.sh /);
  });
});

Deno.test("a registered session's pane keeps its output log from the first tap on; another pane keeps no pipe", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "reg", BASH, "$ ");
  await started(box, sock, "waits", BASH, "$ ");
  await started(box, sock, "raw", BASH, "$ ");
  await started(box, sock, "named", BASH, "$ ");
  await box.writeSessions({
    reg: entry(sock, "reg:0.0", "shell"),
    waits: entry(sock, "waits:0.0", "shell"),
    other: entry(sock, "named:0.0", "shell"),
  });
  const piped = async (name: string) =>
    (await box.tmux(sock, "display", "-p", "-t", `=${name}:`, "#{pane_pipe}")).trim();
  const logs = (name: string) => {
    const dir = join(sessionOutputDir(box, name), "log");
    try {
      return [...Deno.readDirSync(dir)].filter((e) => e.isDirectory).map((e) => e.name);
    } catch {
      return [];
    }
  };
  const taps = () => {
    try {
      return [...Deno.readDirSync(join(box.socketDir, ".ctmux", "tap"))].map((e) => e.name);
    } catch {
      return [];
    }
  };

  await t.step("run -s: the first run starts the log, later runs read it", async () => {
    equal(await piped("reg"), "0");
    const first = await box.run("run", ["-s", "reg", "-c", "echo one"]);
    assertEquals([first.code, first.stdout], [0, "one\n"], first.stderr);
    equal(await piped("reg"), "1");
    const [log] = logs("reg");
    assert(log !== undefined, "a log folder");
    assert(await exists(join(sessionOutputDir(box, "reg"), "log", log, "live")), "its split runs");
    const second = await box.run("run", ["-s", "reg", "-c", "echo two; (exit 3)"]);
    assertEquals([second.code, second.stdout], [3, "two\n"], second.stderr);
    assertEquals(logs("reg"), [log], "the same log");
    assertEquals(taps(), [], "no tap file of a run's own");
  });

  await t.step("wait-for-text --new -s and safe-send -w -s start it too", async () => {
    // A line every 0.2 s: one comes after the wait has begun, whenever that is.
    const loop = "for i in $(seq 100); do echo ready; sleep 0.2; done";
    await box.tmux(sock, "send-keys", "-t", "=waits:", loop, "Enter");
    const wait = await box.run("wait-for-text", [
      "-s",
      "waits",
      "--new",
      "-p",
      "^ready$",
      "-T",
      "15",
    ]);
    equal(wait.code, 0, wait.stderr);
    equal(await piped("waits"), "1");
    await box.tmux(sock, "send-keys", "-t", "=waits:", "C-c");
    await waitUntil(async () =>
      (await box.tmux(sock, "capture-pane", "-p", "-t", "=waits:")).trimEnd().endsWith("$")
    );
    const [log] = logs("waits");
    assert(log !== undefined, "a log folder");
    const sent = await box.run("safe-send", ["-s", "waits", "-c", "echo done", "-w", "^done$"]);
    equal(sent.code, 0, sent.stderr);
    assertEquals(logs("waits"), [log], "the same log");
  });

  await t.step("run -t -S on a registered session's pane starts its log too", async () => {
    const r = await box.run("run", ["-t", "named:0.0", "-S", sock, "-c", "echo named"]);
    assertEquals([r.code, r.stdout], [0, "named\n"], r.stderr);
    equal(await piped("named"), "1");
    equal(logs("named").length, 1);
  });

  await t.step("run -t -S on an unregistered pane leaves no pipe behind", async () => {
    const r = await box.run("run", ["-t", "raw:0.0", "-S", sock, "-c", "echo plain"]);
    assertEquals([r.code, r.stdout], [0, "plain\n"], r.stderr);
    await waitUntil(async () => await piped("raw") === "0", { message: "the run's pipe closed" });
    assertEquals(logs("raw"), []);
    assertEquals(taps(), []);
  });
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
