/**
 * run in a shell cannot wedge or mislead: syntax errors end at once with the
 * shell's status, incomplete input never leaves a continuation prompt, the
 * wrapper's xtrace never takes the output's place, `$?` after a run is the
 * command's, TABs arrive as TABs, long commands arrive, `--` arguments pass
 * as exec passes them, and an interrupted command reports its status.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { Sandbox, waitUntil } from "./helpers.ts";
import { BASH, runJson, screen, started } from "./fixtures/run_panes.ts";

/** The pane's last visible line is the bare prompt: nothing wedged. */
async function atPrompt(box: Sandbox, sock: string, target: string): Promise<void> {
  await waitUntil(async () => (await screen(box, sock, target)).trimEnd().endsWith("\n$"), {
    message: `${target} back at its prompt`,
  });
}

Deno.test("bash: syntax errors and incomplete input end at once and leave the prompt", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");
  // -T 20: a wedged run would end in 124 after 20 s; these end on their own.
  const cases: [string, string, number, RegExp][] = [
    ["echo )", "syntax error", 2, /syntax error near unexpected token `\)'/],
    ["true &&", "a dangling &&", 2, /syntax error: unexpected end of file/],
    [";;", "a stray ;;", 2, /syntax error near unexpected token `;;'/],
    ['echo "open', "an unbalanced quote", 2, /unexpected EOF while looking for matching `"'/],
    ["echo 'open", "an unbalanced single quote", 2, /unexpected EOF while looking for matching/],
    ["echo foo \\", "a trailing backslash", 0, /^foo \\$/],
    [
      "cat <<EOF\nbody",
      "a heredoc left open",
      0,
      /here-document .* delimited by end-of-file[^]*\nbody$/,
    ],
  ];
  for (const [command, what, code, output] of cases) {
    await t.step(`${what}: exit ${code}, the shell back at its prompt`, async () => {
      const { r, out } = await runJson(box, sock, "sh", ["-T", "20", "-c", command]);
      equal(r.code, code, r.stderr);
      equal(out.timed_out, false);
      assertMatch(out.output, output);
      await atPrompt(box, sock, "sh");
      equal((await runJson(box, sock, "sh", ["-c", "echo next"])).out.output, "next");
    });
  }
});

Deno.test("bash: xtrace and history, $?, TABs, long commands, -- arguments", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");

  await t.step(
    "with set -x the output is the command's (its trace included), not empty",
    async () => {
      await runJson(box, sock, "sh", ["-c", "set -x"]);
      const { out } = await runJson(box, sock, "sh", ["-c", "echo traced; (exit 4)"]);
      equal(out.exit_code, 4);
      const lines = out.output.split("\n");
      equal(lines.filter((line) => line === "traced").length, 1);
      ok(lines.every((line) => !line.includes("ctmux") && !/ s=\d+$/.test(line)), out.output);
      await runJson(box, sock, "sh", ["-c", "set +x"]);
    },
  );

  await t.step("history 1 prints its line, which is not mistaken for the end", async () => {
    await runJson(box, sock, "sh", ["-c", "set -o history"]);
    const { r, out } = await runJson(box, sock, "sh", ["-c", "history 1; echo after"]);
    equal(r.code, 0, r.stderr);
    assertMatch(out.output, /^ *\d+ .*history 1; echo after.*\nafter$/);
  });

  await t.step("$? after a run is the command's, in the next run and at the prompt", async () => {
    await runJson(box, sock, "sh", ["-c", "false"]);
    equal((await runJson(box, sock, "sh", ["-c", "echo $?"])).out.output, "1");
    await runJson(box, sock, "sh", ["-c", "(exit 3)"]);
    await box.tmux(sock, "send-keys", "-t", "sh", "echo status=$?", "Enter");
    await waitUntil(async () => (await screen(box, sock, "sh")).includes("\nstatus=3\n"));
  });

  await t.step("a TAB in the command arrives as a TAB", async () => {
    const { out } = await runJson(box, sock, "sh", ["-c", "printf '%s\\n' 'x\ty' | od -c"]);
    assertMatch(out.output, /x +\\t +y/);
  });

  await t.step("a 40 KB command arrives whole", async () => {
    const word = "w".repeat(40_000);
    const { r, out } = await runJson(box, sock, "sh", ["-c", `echo ${word} | wc -c`]);
    equal(r.code, 0, r.stderr);
    equal(out.output.trim(), "40001");
  });

  await t.step("-- arguments pass one by one, as exec passes them", async () => {
    const r = await box.run("run", [
      "-S",
      sock,
      "-t",
      "sh",
      "--",
      "printf",
      "%s\\n",
      "a b",
      "c   d",
    ]);
    equal(r.stdout, "a b\nc   d\n");
    const quotes = await box.run("run", [
      "-S",
      sock,
      "-t",
      "sh",
      "--",
      "echo",
      "it's",
      "$HOME",
      "*",
    ]);
    equal(quotes.stdout, "it's $HOME *\n");
  });

  await t.step("-c with !, $'...' and quotes runs as a script would", async () => {
    const { out } = await runJson(box, sock, "sh", ["-c", `echo "hi!" $'a\\tb' "it's"`]);
    equal(out.output, "hi! a\tb it's");
  });

  await t.step("the marks never show on the screen", async () => {
    await runJson(box, sock, "sh", ["-c", "echo visible-output"]);
    const text = await screen(box, sock, "sh");
    ok(!text.includes("__ctmux_"), text);
    equal(text.split("\n").filter((line) => line === "visible-output").length, 1);
  });
});

Deno.test("bash: a command interrupted with C-c ends with its status (130) and $? is 130", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH, "$ ");
  const running = runJson(box, sock, "sh", ["-T", "20", "-c", "echo begun; sleep 30; echo never"]);
  await waitUntil(async () => (await screen(box, sock, "sh")).includes("\nbegun\n"));
  await box.tmux(sock, "send-keys", "-t", "sh", "C-c");
  const { r, out } = await running;
  equal(r.code, 130, r.stderr);
  assertEquals(out.output.split("\n")[0], "begun");
  ok(!out.output.includes("never"));
  equal((await runJson(box, sock, "sh", ["-c", "echo $?"])).out.output, "130");
});

Deno.test("dash: a syntax error ends the run with status 2, TABs and blocks work", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "d", ["env", "PS1=$ ", "dash"], "$ ");
  await t.step("echo ) gives dash's message and 2, and $? is 2", async () => {
    const { r, out } = await runJson(box, sock, "d", ["-T", "20", "-c", "echo )"]);
    equal(r.code, 2, r.stderr);
    assertMatch(out.output, /Syntax error: "\)" unexpected/);
    equal((await runJson(box, sock, "d", ["-c", "echo $?"])).out.output, "2");
  });
  await t.step("a block over several lines and a TAB", async () => {
    const { out } = await runJson(box, sock, "d", [
      "-c",
      "for i in 1 2; do\n  printf '%s\\t%s\\n' $i x\ndone",
    ]);
    equal(out.output, "1\tx\n2\tx");
  });
});
