/**
 * run: the pane decides. What runs in the pane now (the foreground program,
 * the alternate screen, the prompt on the cursor's row) chooses the mode or
 * a refusal; a refused pane gets nothing typed, exit 6 and one line naming
 * the program; the registry type is only a hint; --json always prints one
 * object.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { json, Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";
import { BASH, PYTHON, type RunErrorJson, runJson, screen, started } from "./fixtures/run_panes.ts";

Deno.test("a full-screen program is refused and keeps its buffer: vim, less", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const file = join(box.root, "notes.txt");
  await Deno.writeTextFile(file, "first line\n");
  await started(box, sock, "v", BASH, "$ ");
  await box.writeSessions({ v: entry(sock, "v:0.0", "shell") });

  await t.step("vim in a shell session: exit 6, names vim, the file unchanged", async () => {
    await box.tmux(sock, "send-keys", "-t", "v", `vim -u NONE -n ${file}`, "Enter");
    await waitUntil(async () =>
      (await box.tmux(sock, "display", "-p", "-t", "v", "#{alternate_on}")).trim() === "1"
    );
    const r = await box.run("run", ["-s", "v", "-c", "echo hi"]);
    equal(r.code, 6);
    equal(r.stdout, "");
    equal(
      r.stderr,
      "Error: Pane v:0.0 runs 'vim', a full-screen program: run types nothing there\n",
    );
    const { out } = await runJson<RunErrorJson>(box, sock, "v", ["-c", "echo hi"]);
    equal(out.exit_code, 6);
    equal(out.program, "vim");
    // Had anything been typed, :wq would save it.
    await box.tmux(sock, "send-keys", "-t", "v", "Escape", ":wq", "Enter");
    await waitUntil(async () => (await screen(box, sock, "v")).trimEnd().endsWith("$"));
    equal(await Deno.readTextFile(file), "first line\n");
  });

  await t.step("a pipeline into less (tmux names it bash): refused, named less", async () => {
    for (const pager of ["less", "less -X"]) {
      await box.tmux(sock, "send-keys", "-t", "v", `seq 1 100 | ${pager}`, "Enter");
      await waitUntil(async () => /^:/m.test(await screen(box, sock, "v")));
      const r = await box.run("run", ["-s", "v", "-c", "echo hi"]);
      equal(r.code, 6, pager);
      assertMatch(r.stderr, /^Error: Pane v:0\.0 runs 'less', /, pager);
      await box.tmux(sock, "send-keys", "-t", "v", "q");
      await waitUntil(async () => (await screen(box, sock, "v")).trimEnd().endsWith("$"));
    }
    const r = await box.run("run", ["-s", "v", "-c", "echo back"]);
    equal(r.stdout, "back\n");
  });
});

Deno.test("a program that is not at its prompt is refused and gets nothing typed", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "py", PYTHON, ">>> ");
  await started(box, sock, "sh", BASH, "$ ");

  await t.step("Python in input(): refused, the answer still goes to input()", async () => {
    await box.tmux(sock, "send-keys", "-t", "py", "-l", "x = input('Name: ')");
    await box.tmux(sock, "send-keys", "-t", "py", "Enter");
    await waitUntil(async () => (await screen(box, sock, "py")).includes("Name: "));
    const r = await box.run("run", ["-S", sock, "-t", "py", "-c", "print(1)"]);
    equal(r.code, 6);
    assertMatch(r.stderr, /runs 'python3', which is not at its prompt .*"Name:"/);
    await box.tmux(sock, "send-keys", "-t", "py", "Ada", "Enter");
    const after = await runJson(box, sock, "py", ["-c", "print(repr(x))"]);
    equal(after.out.output, "'Ada'");
  });

  await t.step("Python with a block open ('... '): refused", async () => {
    await box.tmux(sock, "send-keys", "-t", "py", "-l", "if True:");
    await box.tmux(sock, "send-keys", "-t", "py", "Enter");
    await waitUntil(async () => (await screen(box, sock, "py")).trimEnd().endsWith("..."));
    const r = await box.run("run", ["-S", sock, "-t", "py", "-c", "print(1)"]);
    equal(r.code, 6);
    assertMatch(r.stderr, /a block still open/);
    await box.tmux(sock, "send-keys", "-t", "py", "C-c");
  });

  await t.step("bash in a read typed by someone else: refused as waiting for input", async () => {
    await box.tmux(sock, "send-keys", "-t", "sh", "read -p 'Name? ' who", "Enter");
    await waitUntil(async () => (await screen(box, sock, "sh")).includes("Name? "));
    const r = await box.run("run", ["-S", sock, "-t", "sh", "-c", "echo typed"]);
    equal(r.code, 6);
    assertMatch(r.stderr, /runs 'bash', which waits for input/);
    await box.tmux(sock, "send-keys", "-t", "sh", "Bob", "Enter");
    const after = await runJson(box, sock, "sh", ["-c", 'echo "who=$who"']);
    equal(after.out.output, "who=Bob");
  });

  await t.step("copy mode: refused; out of it, runs", async () => {
    await box.tmux(sock, "copy-mode", "-t", "sh");
    const r = await box.run("run", ["-S", sock, "-t", "sh", "-c", "echo x"]);
    equal(r.code, 6);
    assertMatch(r.stderr, /copy mode/);
    await box.tmux(sock, "send-keys", "-t", "sh", "-X", "cancel");
    equal((await runJson(box, sock, "sh", ["-c", "echo x"])).out.output, "x");
  });
});

Deno.test("the prompt decides for programs unknown by name; --mode and the type are hints", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const bin = join(box.root, "bin");
  await Deno.mkdir(bin);
  // The interpreter itself (python3 on PATH may be a wrapper that dispatches on its name).
  const python = new TextDecoder().decode(
    (await new Deno.Command("python3", { args: ["-c", "import sys; print(sys.executable)"] })
      .output()).stdout,
  ).trim();
  await Deno.symlink(python, join(bin, "snake"));
  await started(
    box,
    sock,
    "snake",
    ["env", "PYTHON_BASIC_REPL=1", join(bin, "snake"), "-q"],
    ">>> ",
  );
  await started(box, sock, "sh", BASH, "$ ");
  // A shell registered as a Python REPL: the pane, not the registry, decides.
  await box.writeSessions({ sh: entry(sock, "sh:0.0", "python-repl") });

  await t.step("a REPL named 'snake' at '>>> ' runs as Python", async () => {
    const { r, out } = await runJson(box, sock, "snake", ["-c", "print(6*7)"]);
    equal(r.code, 0, r.stderr);
    assertEquals([out.output, out.mode], ["42", "python"]);
  });

  await t.step("a shell session where python3 was started: Python's mode", async () => {
    await box.tmux(sock, "send-keys", "-t", "sh", "PYTHON_BASIC_REPL=1 python3 -q", "Enter");
    await waitUntil(async () => (await screen(box, sock, "sh")).trimEnd().endsWith(">>>"));
    const { r, out } = await runJson(box, sock, "sh", ["-c", "print(6 * 7)"]);
    assertEquals([r.code, out.output, out.mode], [0, "42", "python"]);
    await box.tmux(sock, "send-keys", "-t", "sh", "exit()", "Enter");
    await waitUntil(async () => (await screen(box, sock, "sh")).trimEnd().endsWith("$"));
  });

  await t.step("a 'python-repl' session running bash runs as a shell", async () => {
    const r = await box.run("run", ["-s", "sh", "--json", "-c", "echo $((6*7))"]);
    assertEquals(
      [json<{ output: string; mode: string }>(r).output, json<{ mode: string }>(r).mode],
      [
        "42",
        "shell",
      ],
    );
  });

  await t.step(
    "--mode names a mode; --mode with --prompt, or an unknown mode: exit 4",
    async () => {
      const { out } = await runJson(box, sock, "snake", ["--mode", "python", "-c", "print(1)"]);
      equal(out.output, "1");
      const wrong = await runJson<RunErrorJson>(box, sock, "snake", [
        "--mode",
        "gdb",
        "-c",
        "info",
      ]);
      equal(wrong.r.code, 6);
      assertMatch(wrong.out.error, /not at its prompt/);
      for (const args of [["--mode", "cobol"], ["--mode", "shell", "--prompt", "x"]]) {
        const bad = await runJson<RunErrorJson>(box, sock, "snake", [...args, "-c", "x"]);
        equal(bad.r.code, 4, args.join(" "));
        equal(bad.out.exit_code, 4);
        equal(bad.r.stderr.split("\n").length, 2);
      }
    },
  );
});

Deno.test("--json prints one object on every path: argument error, gone pane, refused", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "other", ["sleep", "300"]);
  const cases: [string[], number, RegExp][] = [
    [["--json", "--bogus", "-c", "x"], 4, /^Unknown option: --bogus$/],
    [["--json", "-S", sock, "-t", "nope:0.0", "-c", "true"], 3, /Session does not exist/],
    [["--json", "-S", box.socket("none.sock"), "-t", "x", "-c", "true"], 3, /not running/],
    [["--json", "-S", sock, "-t", "other", "-c", "true"], 6, /runs 'sleep'/],
    [["--json", "-S", sock, "-t", "other", "--resume", "0123456789abcdef"], 4, /No run 01234/],
    [["--json", "-S", sock, "-t", "other", "--resume", "../x"], 4, /Invalid run id/],
  ];
  for (const [args, code, error] of cases) {
    const r = await box.run("run", args);
    equal(r.code, code, args.join(" "));
    const out = json<RunErrorJson>(r);
    equal(out.exit_code, code);
    assertMatch(out.error, error);
    equal(r.stderr.split("\n").length, 2, r.stderr);
    ok(!out.error.startsWith("Error:"));
  }
});
