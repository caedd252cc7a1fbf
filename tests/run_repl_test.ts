/**
 * run drives prompt-based programs: pdb started in a shell session, node's
 * REPL, gdb from create-session --gdb (no pager, no confirmation, a program
 * loaded with --), sqlite3 and a custom prompt with --prompt; and
 * create-session --cwd starts every kind in a folder.
 */
import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { json, Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";
import {
  BASH,
  have,
  PYTHON,
  type RunErrorJson,
  runJson,
  screen,
  started,
} from "./fixtures/run_panes.ts";

Deno.test("pdb in a shell session: p shows values, n steps, b sets a breakpoint", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const script = join(box.root, "prog.py");
  await Deno.writeTextFile(script, "x = 41\nx += 1\nprint('done', x)\ny = x * 2\n");
  await started(box, sock, "dbg", BASH, "$ ");
  await box.writeSessions({ dbg: entry(sock, "dbg:0.0", "shell") });
  await box.tmux(sock, "send-keys", "-t", "dbg", `python3 -m pdb ${script}`, "Enter");
  await waitUntil(async () => (await screen(box, sock, "dbg")).trimEnd().endsWith("(Pdb)"), {
    timeoutMs: 10_000,
  });
  const pdb = async (command: string) => {
    const r = await box.run("run", ["-s", "dbg", "--json", "-T", "20", "-c", command]);
    return { code: r.code, out: json<{ output: string; mode: string }>(r) };
  };

  await t.step("n steps to the next line", async () => {
    const { code, out } = await pdb("n");
    equal(code, 0);
    equal(out.mode, "pdb");
    assertMatch(out.output, /prog\.py\(2\)<module>\(\)\n-> x \+= 1$/);
  });
  await t.step("p x returns the value", async () => {
    const { code, out } = await pdb("p x");
    assertEquals([code, out.output], [0, "41"]);
  });
  await t.step("b 4 sets a breakpoint, c runs to it, printing on the way", async () => {
    assertMatch((await pdb("b 4")).out.output, /^Breakpoint 1 at .*prog\.py:4$/);
    const { out } = await pdb("c");
    assertMatch(out.output, /^done 42\n.*prog\.py\(4\)<module>\(\)\n-> y = x \* 2$/);
  });
  await t.step("an error line (***) gives exit 1; several lines run in turn", async () => {
    equal((await pdb("p nosuch")).code, 1);
    const { code, out } = await pdb("p x\np x + 1");
    equal(code, 0);
    equal(out.output, "42\n43");
  });
  await t.step("the same pane by -S/-t, unregistered: still pdb", async () => {
    const { r, out } = await runJson(box, sock, "dbg", ["-c", "p x * 2"]);
    assertEquals([r.code, out.output, out.mode], [0, "84", "pdb"]);
  });
});

const ipython = await have("python3", ["-c", "import IPython.core.debugger"]);
Deno.test({
  name: "ipdb's prompt (IPython's debugger): p shows values",
  ignore: !ipython,
  async fn() {
    await using box = await Sandbox.create();
    const sock = box.socket();
    await started(box, sock, "ipdb", [
      "python3",
      "-c",
      "from IPython.core.debugger import set_trace\nx = 7\nset_trace()\nprint(x)",
    ], /ipdb>\s*$/);
    const { r, out } = await runJson(box, sock, "ipdb", ["-T", "20", "-c", "p x * 6"]);
    assertEquals([r.code, out.output, out.mode], [0, "42", "pdb"]);
  },
});

Deno.test({
  name: "node's REPL: values, declarations over several lines, Uncaught errors",
  ignore: !(await have("node")),
  async fn(t) {
    await using box = await Sandbox.create();
    const sock = box.socket();
    await started(box, sock, "js", ["env", "NODE_NO_WARNINGS=1", "node"], /\n>\s*$/);
    await t.step("an expression's value", async () => {
      const { r, out } = await runJson(box, sock, "js", ["-c", "[1, 2, 3].map((x) => x * 2)"]);
      equal(r.code, 0, r.stderr);
      assertEquals([out.output, out.mode], ["[ 2, 4, 6 ]", "node"]);
    });
    await t.step("lines typed in turn, state kept, console.log with a TAB", async () => {
      const { out } = await runJson(box, sock, "js", [
        "-c",
        "let b = 20\nconsole.log('b\\t' + (b + 1))",
      ]);
      equal(out.output, "undefined\nb\t21\nundefined");
    });
    await t.step("an Uncaught error: exit 1", async () => {
      const { r, out } = await runJson(box, sock, "js", ["-c", "nosuch"]);
      equal(r.code, 1);
      assertMatch(out.output, /^Uncaught ReferenceError: nosuch is not defined/);
    });
  },
});

Deno.test("gdb from create-session --gdb: info functions and kill never wait; --cwd; -- PROGRAM", async (t) => {
  await using box = await Sandbox.create();
  const folder = join(box.root, "work dir");
  await Deno.mkdir(folder);
  const created = await box.run("create-session", [
    "-n",
    "g",
    "--gdb",
    "--cwd",
    folder,
    "--",
    "/bin/sleep",
    "300",
  ]);
  equal(created.code, 0, created.stderr);
  await waitUntil(async () => (await screen(box, box.defaultSocket, "g")).includes("(gdb) "));
  const gdb = async (command: string) => {
    const r = await box.run("run", ["-s", "g", "--json", "-T", "20", "-c", command]);
    return { code: r.code, out: json<{ output: string; mode: string }>(r) };
  };

  await t.step("the program is loaded and the folder is the session's", async () => {
    assertMatch((await gdb("info inferiors")).out.output, /\/bin\/sleep/);
    assertMatch((await gdb("pwd")).out.output, new RegExp(`Working directory ${folder}\\.`));
  });
  await t.step("info functions prints everything (no pager): exit 0", async () => {
    const { code, out } = await gdb("info functions");
    equal(code, 0);
    equal(out.mode, "gdb");
    assertMatch(out.output, /^All defined functions:/);
    assertMatch(out.output, /Non-debugging symbols:\n/);
  });
  await t.step("kill a started program: no (y or n), exit 0", async () => {
    await gdb("starti");
    const { code, out } = await gdb("kill");
    equal(code, 0);
    assertMatch(out.output, /\[Inferior 1 \(process \d+\) killed\]/);
  });
});

Deno.test("create-session --cwd starts a shell and a Python REPL in the folder; bad --cwd: exit 1", async () => {
  await using box = await Sandbox.create();
  const folder = join(box.root, "proj#1");
  await Deno.mkdir(folder);
  equal((await box.run("create-session", ["-n", "s", "--cwd", folder])).code, 0);
  equal((await box.run("create-session", ["-n", "p", "--python", "--cwd", folder])).code, 0);
  await waitUntil(async () => (await screen(box, box.defaultSocket, "p")).includes(">>> "), {
    timeoutMs: 10_000,
  });
  equal((await box.run("run", ["-s", "s", "-c", "pwd"])).stdout, `${folder}\n`);
  equal(
    (await box.run("run", ["-s", "p", "-c", "import os; print(os.getcwd())"])).stdout,
    `${folder}\n`,
  );
  const bad = await box.run("create-session", ["-n", "b", "--cwd", join(box.root, "none")]);
  equal(bad.code, 1);
  assertMatch(bad.stderr, /^Error: Not a folder: .*none \(--cwd\)\n$/);
  const args = await box.run("create-session", ["-n", "b", "--", "ls"]);
  equal(args.code, 1);
  assertMatch(args.stderr, /only with --gdb/);
});

Deno.test("--prompt drives sqlite3 and a custom prompt; without it they are refused", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "calc", [
    ...PYTHON.slice(0, 2),
    "python3",
    "-q",
    "-i",
    "-c",
    "import sys; sys.ps1 = 'calc> '",
  ], "calc> ");
  await started(box, sock, "sh", BASH, "$ ");

  await t.step("a custom prompt: each line typed after it, output before it returns", async () => {
    const refused = await runJson<RunErrorJson>(box, sock, "calc", ["-c", "1"]);
    equal(refused.r.code, 6);
    const { r, out } = await runJson(box, sock, "calc", [
      "--prompt",
      "^calc> $",
      "-c",
      "6 * 7\nprint('x')",
    ]);
    equal(r.code, 0, r.stderr);
    assertEquals([out.output, out.mode], ["42\nx", "prompt"]);
  });

  await t.step({
    name: "sqlite3 with --prompt '^sqlite> $'",
    ignore: !(await have("sqlite3")),
    fn: async () => {
      await box.tmux(sock, "send-keys", "-t", "sh", "sqlite3", "Enter");
      await waitUntil(async () => (await screen(box, sock, "sh")).trimEnd().endsWith("sqlite>"));
      const refused = await runJson<RunErrorJson>(box, sock, "sh", ["-c", "select 1;"]);
      assertEquals([refused.r.code, refused.out.program], [6, "sqlite3"]);
      const { r, out } = await runJson(box, sock, "sh", [
        "--prompt",
        "^sqlite> $",
        "-c",
        "create table t(a);\ninsert into t values (1), (2);\nselect count(*), sum(a) from t;",
      ]);
      equal(r.code, 0, r.stderr);
      equal(out.output, "2|3");
    },
  });
});
