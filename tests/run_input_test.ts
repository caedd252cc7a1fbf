/**
 * run: waiting for input is an outcome (exit 7, "waiting_for_input" and
 * "prompt" in --json), and --resume RUN_ID collects the rest of a run that
 * waited or timed out, after safe-send answered it; a busy pane refuses
 * other runs meanwhile; a resumed run's files are gone once collected.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";
import {
  BASH,
  PYTHON,
  type RunErrorJson,
  type RunJson,
  runJson,
  screen,
  started,
} from "./fixtures/run_panes.ts";

/** The files left for resuming runs in a session's output folder. */
async function pendingFiles(box: Sandbox, session: string): Promise<string[]> {
  // .ctmux/output/<server>/<session>/runs, whichever server the session is on.
  const output = join(box.socketDir, ".ctmux", "output");
  const names: string[] = [];
  try {
    for await (const server of Deno.readDir(output)) {
      try {
        for await (const e of Deno.readDir(join(output, server.name, session, "runs"))) {
          names.push(e.name);
        }
      } catch { /* not this server */ }
    }
  } catch { /* none */ }
  return names.sort();
}

Deno.test("read -p: waiting_for_input, safe-send the answer, --resume: output and status", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");
  await box.writeSessions({ sh: entry(sock, "sh:0.0", "shell") });
  let runId = "";

  await t.step("the run ends on the prompt: exit 7, the prompt named, output so far", async () => {
    const r = await box.run("run", [
      "-s",
      "sh",
      "--json",
      "-T",
      "20",
      "-c",
      `echo asking; read -p 'Name? ' n; echo "hi $n"; (exit 5)`,
    ]);
    equal(r.code, 7, r.stderr);
    const out = JSON.parse(r.stdout) as RunJson;
    assertEquals(
      [out.waiting_for_input, out.prompt, out.output, out.exit_code, out.timed_out, out.mode],
      [true, "Name? ", "asking\nName? ", null, false, "shell"],
    );
    assertMatch(
      r.stderr,
      new RegExp(`^Waiting for input in pane sh:0\\.0: "Name\\? " .*--resume ${out.run_id}\\)\\n$`),
    );
    runId = out.run_id;
    // Its state file, and its tap file unless it read the pane's output log (--json starts one).
    ok((await pendingFiles(box, "sh")).includes(`${runId}.json`));
  });

  await t.step("meanwhile another run is refused, naming the run and its prompt", async () => {
    const r = await box.run("run", ["-s", "sh", "-c", "echo other"]);
    equal(r.code, 6);
    assertMatch(
      r.stderr,
      new RegExp(`still busy with run ${runId} \\(its last line: "Name\\? "\\)`),
    );
  });

  await t.step("safe-send answers; --resume returns the rest and the status", async () => {
    const sent = await box.run("safe-send", ["-s", "sh", "-c", "Ada"]);
    equal(sent.code, 0, sent.stderr);
    const r = await box.run("run", ["-s", "sh", "--json", "-T", "20", "--resume", runId]);
    equal(r.code, 5, r.stderr);
    const out = JSON.parse(r.stdout) as RunJson;
    assertEquals([out.output, out.exit_code, out.run_id], ["Name? Ada\nhi Ada", 5, runId]);
    assertEquals(await pendingFiles(box, "sh"), []);
    // The run is forgotten; the pipe left is the pane's output log (--json started it), not the run's.
    equal(
      (await box.tmux(sock, "display", "-p", "-t", "sh", "#{pane_pipe}[#{@ctmux-run}]")).trim(),
      "1[]",
    );
  });

  await t.step(
    "a read whose prompt looks like the shell's own is still input, not the prompt",
    async () => {
      const { r, out } = await runJson(box, sock, "sh", [
        "-T",
        "20",
        "-c",
        `printf '$ '; read x; echo "got $x"`,
      ]);
      equal(r.code, 7, r.stderr);
      equal(out.prompt, "$ ");
      await box.run("safe-send", ["-S", sock, "-t", "sh", "-c", "v"]);
      const rest = await runJson(box, sock, "sh", ["-T", "20", "--resume", out.run_id]);
      assertEquals([rest.r.code, rest.out.output], [0, "$ v\ngot v"]);
    },
  );

  await t.step("a second --resume: no such run, exit 4; the pane is free", async () => {
    const again = await runJson<RunErrorJson>(box, sock, "sh", ["--resume", runId]);
    equal(again.r.code, 4);
    assertMatch(again.out.error, /No run .* to resume/);
    equal((await runJson(box, sock, "sh", ["-c", "echo free"])).out.output, "free");
  });
});

Deno.test("a timed-out run resumes to its end; kill-session removes a pending run's files", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "slow", BASH, "$ ");
  await box.writeSessions({ slow: entry(sock, "slow:0.0", "shell") });
  let runId = "";

  await t.step("timed out: 124, resumed twice until it ends", async () => {
    const first = await box.run("run", [
      "-s",
      "slow",
      "--json",
      "-T",
      "0.3",
      "-c",
      "echo one; sleep 1; echo two; sleep 1; echo three",
    ]);
    equal(first.code, 124);
    runId = (JSON.parse(first.stdout) as RunJson).run_id;
    equal((JSON.parse(first.stdout) as RunJson).output, "one");
    const middle = await runJson(box, sock, "slow", ["-T", "1.2", "--resume", runId]);
    equal(middle.r.code, 124);
    equal(middle.out.output, "two");
    const last = await runJson(box, sock, "slow", ["-T", "20", "--resume", runId]);
    equal(last.r.code, 0, last.r.stderr);
    equal(last.out.output, "three");
  });

  await t.step(
    "cleanup-sessions --all removes a pending run's files; the next run frees the pane",
    async () => {
      const r = await box.run("run", [
        "-s",
        "slow",
        "--json",
        "-T",
        "0.2",
        "-c",
        "sleep 2; echo late",
      ]);
      equal(r.code, 124);
      // Its state file (its output is the pane's log, which the --json runs above started).
      ok((await pendingFiles(box, "slow")).some((name) => name.endsWith(".json")));
      equal((await box.run("cleanup-sessions", ["--all"])).code, 0);
      assertEquals(await pendingFiles(box, "slow"), []);
      await box.writeSessions({ slow: entry(sock, "slow:0.0", "shell") });
      const gone = await runJson<RunErrorJson>(box, sock, "slow", [
        "--resume",
        (JSON.parse(r.stdout) as RunJson).run_id,
      ]);
      equal(gone.r.code, 4);
      // Once the command is done, the run's pipe (the pane names the run: ours) is closed
      // by the next run, which taps the pane anew.
      await waitUntil(async () => (await screen(box, sock, "slow")).includes("\nlate\n$"));
      const next = await runJson(box, sock, "slow", ["-T", "20", "-c", "echo fresh"]);
      equal(next.r.code, 0, next.r.stderr);
      equal(next.out.output, "fresh");
    },
  );

  await t.step(
    "--max-lines on a run and on its resume: each keeps its whole output in its file",
    async () => {
      const first = await runJson<RunJson & { output_file: string; truncated: boolean }>(
        box,
        sock,
        "slow",
        ["-T", "0.5", "--max-lines", "4", "-c", "seq 1 10; sleep 1; seq 11 20"],
      );
      equal(first.r.code, 124);
      equal(first.out.truncated, true);
      const rest = await runJson<RunJson & { output_file: string; truncated: boolean }>(
        box,
        sock,
        "slow",
        ["-T", "20", "--max-lines", "4", "--resume", first.out.run_id],
      );
      equal(rest.r.code, 0, rest.r.stderr);
      equal(rest.out.truncated, true);
      ok(rest.out.output_file !== first.out.output_file);
      equal(await Deno.readTextFile(first.out.output_file), "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
      equal(
        await Deno.readTextFile(rest.out.output_file),
        "11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
      );
    },
  );

  await t.step("a pending run's files go with kill-session", async () => {
    const r = await box.run("run", ["-s", "slow", "-T", "0.2", "-c", "sleep 30"]);
    equal(r.code, 124);
    // Its state file (its output is the pane's log, which earlier --json runs started).
    ok((await pendingFiles(box, "slow")).some((name) => name.endsWith(".json")));
    equal((await box.run("kill-session", ["-s", "slow"])).code, 0);
    assertEquals(await pendingFiles(box, "slow"), []);
  });
});

Deno.test("Python input() and gdb's confirmation and pager are waiting for input", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "py", PYTHON, ">>> ");
  // A gdb started plainly (not by create-session): its pager and confirmations are on.
  await started(box, sock, "gdb", ["gdb", "-q", "-nx", "/bin/true"], "(gdb) ");

  await t.step("input() in Python: exit 7 with the prompt; answered, resumed", async () => {
    const { r, out } = await runJson(box, sock, "py", [
      "-T",
      "20",
      "-c",
      "name = input('Name: ')\nprint('hi', name)",
    ]);
    equal(r.code, 7, r.stderr);
    assertEquals([out.prompt, out.mode], ["Name: ", "python"]);
    await box.run("safe-send", ["-S", sock, "-t", "py", "-c", "Ada"]);
    const rest = await runJson(box, sock, "py", ["-T", "20", "--resume", out.run_id]);
    equal(rest.r.code, 0, rest.r.stderr);
    equal(rest.out.output, "Name: Ada\nhi Ada");
  });

  await t.step("gdb's pager stops info functions: waiting, not 124; q ends it", async () => {
    const { r, out } = await runJson(box, sock, "gdb", ["-T", "20", "-c", "info functions"]);
    equal(r.code, 7, r.stderr);
    assertMatch(out.prompt ?? "", /^--Type <RET> for more, q to quit/);
    await box.run("safe-send", ["-S", sock, "-t", "gdb", "-c", "q"]);
    const rest = await runJson(box, sock, "gdb", ["-T", "20", "--resume", out.run_id]);
    equal(rest.r.code, 0, rest.r.stderr);
  });

  await t.step("gdb's (y or n): waiting for input, answered with safe-send", async () => {
    await runJson(box, sock, "gdb", ["-c", "starti"]);
    const { r, out } = await runJson(box, sock, "gdb", ["-T", "20", "-c", "kill"]);
    equal(r.code, 7, r.stderr);
    assertMatch(out.prompt ?? "", /\(y or n\) $/);
    await box.run("safe-send", ["-S", sock, "-t", "gdb", "-c", "y"]);
    const rest = await runJson(box, sock, "gdb", ["-T", "20", "--resume", out.run_id]);
    equal(rest.r.code, 0, rest.r.stderr);
    assertMatch(rest.out.output, /Inferior 1 .* killed/);
  });
});

Deno.test("the library: waiting_for_input and resumeRun", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "lib", BASH, "$ ");
  const { run, resumeRun, send } = await import("../mod.ts");
  const context = await box.context();
  const where = { socket: sock, target: "lib:0.0", context };
  const asked = await run({ ...where, command: "read -s -p 'Password: ' pw; echo; echo ${#pw}" });
  equal(asked.kind, "waiting_for_input");
  ok(asked.kind === "waiting_for_input" && asked.prompt === "Password: ");
  await send({ ...where, text: "secret" });
  const done = await resumeRun({ ...where, runId: asked.runId, waitMs: 20_000 });
  assertEquals([done.kind, done.exitCode, done.output.split("\n").at(-1)], ["completed", 0, "6"]);
  await waitUntil(async () =>
    (await box.tmux(sock, "display", "-p", "-t", "lib", "#{pane_pipe}")).trim() === "0"
  );
});
