import { equal, match as assertMatch, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { Sandbox, testEntry as entry, waitUntil } from "./helpers.ts";

const BASH = ["env", "PS1=$ ", "bash", "--norc", "--noprofile"];
const PYTHON = ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"];

async function clients(box: Sandbox, sock: string): Promise<string> {
  const r = await box.tmuxRaw(sock, "list-clients", "-F", "#{client_control_mode}");
  return r.code === 0 ? r.stdout : "";
}

async function screen(box: Sandbox, sock: string, target: string): Promise<string> {
  return await box.tmux(sock, "capture-pane", "-p", "-J", "-t", target);
}

/** tmux's own socket folder in the sandbox (for `-L NAME` and `-t` alone), created. */
async function tmuxSocketDir(box: Sandbox): Promise<string> {
  const dir = join(box.env.TMUX_TMPDIR, `tmux-${Deno.uid()}`);
  await Deno.mkdir(dir, { mode: 0o700, recursive: true });
  return dir;
}

/** Starts a session and waits for its prompt. */
async function started(box: Sandbox, sock: string, name: string, command: string[]) {
  await box.newSession(sock, name, command);
  const prompt = command === PYTHON ? ">>> " : "$ ";
  await waitUntil(async () => (await screen(box, sock, `=${name}:`)).includes(prompt));
}

Deno.test("safe-send sends text as typed and waits for what follows", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "sh", BASH);
  await started(box, sock, "py", PYTHON);
  await box.writeSessions({ sh: entry(sock, "sh:0.0"), py: entry(sock, "py:0.0", "python-repl") });

  await t.step("a Python command that sleeps 1.5 s returns only after it finished", async () => {
    const r = await box.run("safe-send", [
      "-s",
      "py",
      "-c",
      "import time; time.sleep(1.5); print('slept-' + str(6*7))",
      "-w",
      ">>>",
      "-T",
      "20",
    ]);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, "");
    equal(r.stderr, "");
    // The prompt on screen before the send did not end the wait: the output is there already.
    assertMatch(await screen(box, sock, "=py:"), /\nslept-42\n>>> /);
  });

  await t.step('-c "-la" and -c "echo hi;" arrive as typed', async () => {
    const dash = await box.run("safe-send", [
      "-s",
      "sh",
      "-c",
      "-la",
      "-w",
      "la: command not found",
    ]);
    equal(dash.code, 0, dash.stderr);
    const semi = await box.run("safe-send", [
      "-s",
      "sh",
      "-c",
      "echo hi;",
      "-w",
      "^hi$",
      "-T",
      "10",
    ]);
    equal(semi.code, 0, semi.stderr);
    const text = await screen(box, sock, "=sh:");
    assertMatch(text, /^\$ -la\n.*-la: command not found\n/m);
    assertMatch(text, /^\$ echo hi;\nhi\n/m);
  });

  await t.step("-l types without Enter; key names work in normal mode", async () => {
    equal((await box.run("safe-send", ["-s", "sh", "-c", "echo lit", "-l"])).code, 0);
    const rest = await box.run("safe-send", [
      "-s",
      "sh",
      "-c",
      " ; echo second",
      "-w",
      "^second$",
      "-T",
      "10",
    ]);
    equal(rest.code, 0, rest.stderr);
    assertMatch(await screen(box, sock, "=sh:"), /^\$ echo lit ; echo second\nlit\nsecond\n/m);

    equal((await box.run("safe-send", ["-s", "sh", "-c", "sleep 30"])).code, 0);
    // Ctrl-C ends the sleep, so a new prompt follows; typed as text it would not.
    const ctrlC = await box.run("safe-send", ["-s", "sh", "-c", "C-c", "-w", "^\\$ $", "-T", "10"]);
    equal(ctrlC.code, 0, ctrlC.stderr);
  });

  await t.step('-c "" sends just Enter', async () => {
    const r = await box.run("safe-send", ["-s", "sh", "-c", "", "-w", "^\\$ $", "-T", "10"]);
    equal(r.code, 0, r.stderr);
  });

  await t.step("-m pastes a block that a Python REPL runs", async () => {
    const r = await box.run("safe-send", [
      "-s",
      "py",
      "-m",
      "-c",
      "def foo():\n    return 40 + 2\n\nprint('foo', foo())",
      "-w",
      "^foo 42$",
      "-T",
      "10",
    ]);
    equal(r.code, 0, r.stderr);
    equal(await box.tmux(sock, "list-buffers"), "");
  });

  await t.step(
    "timeout: exit 2 with the message; a prompt on screen does not end the wait",
    async () => {
      const r = await box.run("safe-send", [
        "-s",
        "sh",
        "-c",
        "true",
        "-w",
        "^nomatch|^x\\$ $",
        "-T",
        "0.5",
      ]);
      equal(r.code, 2);
      // One line, then the pane's last lines (at most 20: --tail).
      const [first, second, ...last] = r.stderr.trimEnd().split("\n");
      equal(first, "Error: Timeout waiting for pattern '^nomatch|^x\\$ $'");
      equal(second, `Last ${last.length} lines from sh:0.0:`);
      assert(last.length > 0 && last.length <= 20, r.stderr);
      equal(last.at(-2), "$ true");
      equal(last.at(-1), "$");
      const bare = await box.run("safe-send", [
        "-s",
        "sh",
        "-c",
        "true",
        "-w",
        "^nomatch",
        "-T",
        "0",
        "--tail",
        "0",
      ]);
      equal(bare.code, 2);
      equal(bare.stderr, "Error: Timeout waiting for pattern '^nomatch'\n");
      const prompt = await box.run("safe-send", [
        "-s",
        "sh",
        "-c",
        "sleep 5",
        "-w",
        "^\\$ $",
        "-T",
        "0.3",
      ]);
      equal(prompt.code, 2);
      const back = await box.run("safe-send", [
        "-s",
        "sh",
        "-c",
        "C-c",
        "-w",
        "^\\$ $",
        "-T",
        "10",
      ]);
      equal(back.code, 0, back.stderr);
    },
  );

  await t.step("-v writes progress lines prefixed [safe-send] to stderr", async () => {
    const r = await box.run("safe-send", [
      "-s",
      "sh",
      "-c",
      "echo v",
      "-w",
      "^v$",
      "-v",
      "-T",
      "10",
    ]);
    equal(r.code, 0);
    const lines = r.stderr.trimEnd().split("\n");
    assert(lines.length >= 3, r.stderr);
    for (const line of lines) assert(line.startsWith("[safe-send] "), line);
  });

  await t.step("decimal and zero numbers are accepted", async () => {
    const r = await box.run("safe-send", [
      "-s",
      "sh",
      "-c",
      "echo n",
      "-T",
      "1.5",
      "-i",
      "0",
      "-r",
      "2",
    ]);
    equal(r.code, 0, r.stderr);
  });

  // How soon it ends after the kill is measured by the bench (bench/cases.ts), not asserted here.
  await t.step("a pane killed during the wait ends it, not the timeout: exit 3", async () => {
    const pane =
      (await box.tmux(sock, "split-window", "-P", "-F", "#{pane_id}", "-t", "=sh:", ...BASH))
        .trim();
    await waitUntil(async () => (await screen(box, sock, pane)).includes("$ "));
    const waiting = box.run("safe-send", [
      "-S",
      sock,
      "-t",
      pane,
      "-c",
      "sleep 30",
      "-w",
      "never",
      "-T",
      "30",
    ]);
    await waitUntil(async () => (await clients(box, sock)) === "1\n");
    await box.tmux(sock, "kill-pane", "-t", pane);
    const r = await waiting;
    equal(r.code, 3);
    equal(r.stderr, `Error: Stopped waiting for pattern 'never' (pane ${pane} no longer exists)\n`);
  });

  equal(await clients(box, sock), "");
});

Deno.test("parallel -m sends to two panes each get their own text and leave no buffer", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await Promise.all([started(box, sock, "a", PYTHON), started(box, sock, "b", PYTHON)]);
  const send = (name: string, n: number) =>
    box.run("safe-send", [
      "-S",
      sock,
      "-t",
      name,
      "-m",
      "-c",
      `def f():\n    return '${name}-' + str(${n} * 2)\n\nprint(f())`,
      "-w",
      `^${name}-`,
      "-T",
      "20",
    ]);
  const [a, b] = await Promise.all([send("a", 21), send("b", 50)]);
  equal(a.code, 0, a.stderr);
  equal(b.code, 0, b.stderr);
  const textA = await screen(box, sock, "=a:");
  const textB = await screen(box, sock, "=b:");
  assertMatch(textA, /^a-42$/m);
  assertMatch(textB, /^b-100$/m);
  assert(!textA.includes("b-") && !textB.includes("a-"), `${textA}\n---\n${textB}`);
  equal(await box.tmux(sock, "list-buffers"), "");
  equal(await clients(box, sock), "");
});

Deno.test("safe-send checks the pane's health however the target is given: exit 3", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.tmux(sock, "new-session", "-d", "-s", "keep", ...BASH);
  await box.tmux(sock, "set-option", "-g", "remain-on-exit", "on");
  await box.tmux(sock, "new-session", "-d", "-s", "dead", "sh", "-c", "exit 0");
  await waitUntil(async () =>
    (await box.tmux(sock, "display", "-p", "-t", "=dead:", "#{pane_dead}")).trim() === "1"
  );
  const notReady = (code: number) =>
    `Error: Pane not ready (health check failed with exit code ${code})\n`;

  await t.step("dead pane: health code 1", async () => {
    const r = await box.run("safe-send", ["-S", sock, "-t", "dead", "-c", "x"]);
    equal(r.code, 3);
    equal(r.stderr, notReady(1));
  });

  await t.step("missing session (exact names): health code 2", async () => {
    const r = await box.run("safe-send", ["-S", sock, "-t", "kee", "-c", "x"]);
    equal(r.code, 3);
    equal(r.stderr, notReady(2));
  });

  await t.step("no server: health code 4", async () => {
    const r = await box.run("safe-send", ["-S", box.socket("none.sock"), "-t", "x", "-c", "x"]);
    equal(r.code, 3);
    equal(r.stderr, notReady(4));
  });

  await t.step("-t alone (tmux's default socket) is checked too", async () => {
    await tmuxSocketDir(box);
    const def = box.tmuxDefaultSocket;
    await box.tmux(def, "new-session", "-d", "-s", "gone", "sleep", "100");
    await box.tmux(def, "set-option", "-g", "remain-on-exit", "on");
    await box.tmux(def, "respawn-pane", "-k", "-t", "=gone:", "sh", "-c", "exit 0");
    await waitUntil(async () =>
      (await box.tmux(def, "display", "-p", "-t", "=gone:", "#{pane_dead}")).trim() === "1"
    );
    const r = await box.run("safe-send", ["-t", "gone", "-c", "x"]);
    equal(r.code, 3);
    equal(r.stderr, notReady(1));
  });
});

Deno.test("safe-send -L sends and waits on a named socket", async () => {
  await using box = await Sandbox.create();
  const path = join(await tmuxSocketDir(box), "named");
  await box.tmux(path, "new-session", "-d", "-s", "n", ...BASH);
  await waitUntil(async () => (await screen(box, path, "=n:")).includes("$ "));
  const r = await box.run("safe-send", [
    "-L",
    "named",
    "-t",
    "n",
    "-c",
    "echo $((7*6))",
    "-w",
    "^42$",
    "-T",
    "10",
  ]);
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
});

Deno.test("safe-send retries a failing send, then exits 1", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "s", BASH);
  const bin = join(box.root, "bin");
  const log = join(box.root, "sends.log");
  await Deno.mkdir(bin);
  const which = await new Deno.Command("sh", { args: ["-c", "command -v tmux"] }).output();
  const realTmux = new TextDecoder().decode(which.stdout).trim();
  await Deno.writeTextFile(
    join(bin, "tmux"),
    `#!/bin/sh\ncase " $* " in *" send-keys "*) echo try >> '${log}'; ` +
      `echo "refused" >&2; exit 1;; esac\nexec '${realTmux}' "$@"\n`,
    { mode: 0o755 },
  );
  const r = await box.run("safe-send", [
    "-S",
    sock,
    "-t",
    "s",
    "-c",
    "x",
    "-r",
    "3",
    "-i",
    "0.01",
    "-v",
  ], {
    env: { PATH: `${bin}:${box.env.PATH}` },
  });
  equal(r.code, 1);
  const lines = r.stderr.trimEnd().split("\n");
  equal(lines.at(-1), "Error: Failed to send command after 3 attempts");
  for (const line of lines.slice(0, -1)) assert(line.startsWith("[safe-send] "), line);
  assertMatch(r.stderr, /retrying in 0\.01s/);
  assertMatch(r.stderr, /retrying in 0\.02s/);
  equal((await Deno.readTextFile(log)).split("\n").filter(Boolean).length, 3);
});

Deno.test("safe-send argument and look-up errors exit 4", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await started(box, sock, "s", BASH);
  const cases: [string, string[], string][] = [
    ["no command", ["-S", sock, "-t", "s"], 'command is required (use -c "" to send just Enter)\n'],
    [
      "-S with -L",
      ["-S", sock, "-L", "x", "-t", "s", "-c", "x"],
      "Cannot specify both -S and -L options\n",
    ],
    [
      "-l with -m",
      ["-t", "s", "-c", "x", "-l", "-m"],
      "Error: --multiline and --literal are mutually exclusive\n",
    ],
    ["-S without -t", ["-S", sock, "-c", "x"], "target is required\n"],
    ["empty -t", ["-t", "", "-c", "x"], "target is required\n"],
    ["bad timeout", ["-t", "s", "-c", "x", "-T", "soon"], "timeout must be a positive number\n"],
    ["negative timeout", ["-t", "s", "-c", "x", "-T", "-1"], "timeout must be a positive number\n"],
    [
      "zero retries",
      ["-t", "s", "-c", "x", "-r", "0"],
      "retries must be a positive integer (>= 1)\n",
    ],
    [
      "fractional retries",
      ["-t", "s", "-c", "x", "-r", "1.5"],
      "retries must be a positive integer (>= 1)\n",
    ],
    ["bad interval", ["-t", "s", "-c", "x", "-i", "x"], "interval must be a positive number\n"],
    ["unknown option", ["-t", "s", "-c", "x", "--bogus"], "Unknown option: --bogus\n"],
    ["unknown name", ["-s", "nope", "-c", "x"], "Error: Session 'nope' not found in registry\n"],
    ["empty registry", ["-c", "x"], "Error: No sessions found in registry\n"],
    [
      "invalid -w regex",
      ["-S", sock, "-t", "s", "-c", "echo typed", "-w", "a[b"],
      "Error: Invalid regex pattern: a[b (Unmatched [, [^, [:, [., or [=)\n",
    ],
  ];
  // As the original: a missing argument or an unknown option also prints the usage on stdout.
  const usage = (await box.run("safe-send", ["--help"])).stdout;
  const withUsage = new Set(["no command", "-S without -t", "empty -t", "unknown option"]);
  for (const [what, args, stderr] of cases) {
    await t.step(what, async () => {
      const r = await box.run("safe-send", args);
      equal(r.code, 4);
      equal(r.stderr, stderr);
      equal(r.stdout, withUsage.has(what) ? usage : "");
    });
  }

  await t.step("nothing was sent by the failed calls", async () => {
    equal((await screen(box, sock, "=s:")).trimEnd(), "$");
  });

  await t.step("auto-detect with several sessions", async () => {
    await box.writeSessions({ a: entry(sock, "s:0.0"), b: entry(sock, "s:0.0") });
    const r = await box.run("safe-send", ["-c", "x"]);
    equal(r.code, 4);
    assertMatch(r.stderr, /Multiple sessions found \(2 total\)/);
  });

  await t.step("an unusable registry", async () => {
    await box.writeRegistry('{"sessions": [], "version": "1.0"}');
    const r = await box.run("safe-send", ["-s", "a", "-c", "x"]);
    equal(r.code, 4);
    assertMatch(r.stderr, /\.sessions\.json/);
  });

  await t.step("tmux missing from PATH", async () => {
    const empty = join(box.root, "empty-bin");
    await Deno.mkdir(empty);
    const r = await box.run("safe-send", ["-t", "s", "-c", "x"], { env: { PATH: empty } });
    equal(r.code, 4);
    assertMatch(r.stderr, /^Error: tmux not found in PATH.*\n$/);
  });

  await t.step("--help: usage naming safe-send.sh, exit 0", async () => {
    const r = await box.run("safe-send", ["-h"]);
    equal(r.code, 0);
    assert(r.stdout.startsWith("Usage: safe-send.sh"));
    assertMatch(r.stdout, /Examples:/);
  });
});
