import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";
import { outputAfterSend } from "../lib/anchor.ts";
import { captureArgs } from "../lib/capture.ts";
import { ControlClient } from "../lib/control.ts";
import { ereToJs } from "../lib/ere.ts";
import { InvalidPatternError } from "../lib/errors.ts";
import { compilePattern } from "../lib/lines.ts";
import { type Anchor, type Pane, withBlankLine } from "../lib/pane.ts";
import { tmuxArgument } from "../lib/quote.ts";
import { Server } from "../lib/server.ts";
import { waitForText } from "../lib/wait.ts";
import { Sandbox, waitUntil } from "./helpers.ts";

const BASH = ["env", "PS1=$ ", "bash", "--norc", "--noprofile"];

async function paneOf(box: Sandbox, sock: string, session: string): Promise<string> {
  return (await box.tmux(sock, "display-message", "-p", "-t", `=${session}:`, "#{pane_id}")).trim();
}

/** The core's pane for a pane id. */
async function corePane(sock: string, id: string): Promise<Pane> {
  return await new Server({ path: sock }).pane(id);
}

/** Where the cursor is now: an anchor taken without sending. */
async function anchorNow(pane: Pane): Promise<Anchor> {
  const { historySize, cursorY, alternateOn } = await pane.state();
  return { historySize, cursorY, alternateOn };
}

async function screen(box: Sandbox, sock: string, pane: string): Promise<string> {
  return await box.tmux(sock, "capture-pane", "-p", "-J", "-t", pane);
}

async function clients(box: Sandbox, sock: string): Promise<string> {
  const r = await box.tmuxRaw(sock, "list-clients", "-F", "#{client_control_mode}");
  return r.code === 0 ? r.stdout : "";
}

/** A bash pane showing its `$ ` prompt. */
async function bashPane(box: Sandbox, sock: string, name: string, size = ["80", "24"]) {
  await box.tmux(sock, "new-session", "-d", "-s", name, "-x", size[0], "-y", size[1], ...BASH);
  const pane = await paneOf(box, sock, name);
  await waitUntil(async () => (await screen(box, sock, pane)).startsWith("$ "));
  return pane;
}

Deno.test("patterns are read as grep -E reads them", async (t) => {
  const cases: [string, string, boolean][] = [
    ["^[[:digit:]]+ files?$", "12 files", true],
    ["^[[:digit:]]+ files?$", "x12 files", false],
    ["[[:alpha:]_][[:alnum:]_]*=", "foo_1=", true],
    ["[[:upper:]][[:lower:]]+", "Hello", true],
    ["^[[:space:]]*$", "   ", true],
    ["[[:xdigit:]]{4}", "beef", true],
    ["[[:punct:]]", "abc", false],
    ["a{2,3}", "aa", true],
    ["a{,2}b", "b", true],
    ["a{x", "a{x", true],
    ["*abc", "*abc", true],
    ["a)", "a)", true],
    ["[]a]", "]", true],
    ["[^]a]", "]", false],
    ["[\\]", "\\", true],
    ["[a-c]x", "bx", true],
    ["[[.-.]]", "-", true],
    ["a**", "aaa", true],
    ["\\<foo\\>", "a foo b", true],
    ["\\<foo\\>", "afoo", false],
    [">>>", ">>> ", true],
    ["\\$ $", "$ ", true],
    ["(a|b)+c", "abac", true],
    ["x|^y", "yes", true],
    ["^$", "", true],
    ["a.c", "a\u{1F600}c", true],
    ["\u276F", "~ \u276F ", true],
  ];
  for (const [pattern, line, expected] of cases) {
    await t.step(`${JSON.stringify(pattern)} on ${JSON.stringify(line)}: ${expected}`, () => {
      equal(compilePattern(pattern)(line), expected, ereToJs(pattern));
    });
  }

  await t.step("-F takes the pattern as a fixed string", () => {
    assert(compilePattern("a.b(", { fixed: true })("x a.b( y"));
    assert(!compilePattern("a.b", { fixed: true })("axb"));
  });

  await t.step("a pattern with newlines is several patterns, as in grep", () => {
    const m = compilePattern("^one$\n^two$");
    assert(m("two"));
    assert(!m("three"));
  });

  await t.step("an invalid pattern is a usage error naming it", () => {
    for (const bad of ["(", "[abc", "[[:foo:]]", "a\\", "[z-a]", "\\1"]) {
      assertThrows(() => compilePattern(bad), (e: unknown) => {
        assert(e instanceof InvalidPatternError);
        assert(e.message.startsWith(`Invalid regex pattern: ${bad} (`), e.message);
        return true;
      });
    }
  });
});

/** The lines of `lines` that `grep -E PATTERN` prints in a UTF-8 locale, or null without GNU grep. */
async function grepE(pattern: string, lines: readonly string[]): Promise<string[]> {
  const child = new Deno.Command("grep", {
    args: ["-E", "--", pattern],
    env: { LC_ALL: "C.UTF-8", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(lines.join("\n") + "\n"));
  await writer.close();
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert(out.code === 0 || out.code === 1, `grep -E ${pattern}: ${stderr}`);
  return new TextDecoder().decode(out.stdout).split("\n").slice(0, -1);
}

const gnuGrep = await new Deno.Command("grep", { args: ["--version"], stdout: "piped" }).output()
  .then((out) => new TextDecoder().decode(out.stdout).includes("GNU grep"), () => false);

Deno.test({
  name: "the translator matches what GNU grep -E matches, escapes and classes included",
  ignore: !gnuGrep,
  fn: async () => {
    const lines = [
      "d",
      "t",
      "D",
      "n",
      "r",
      "x42",
      "tab\there",
      "no digits",
      "7 dwarfs",
      "foo bar",
      "foobar",
      "a_foo_b",
      "(foo)",
      "caf\u00e9 au lait",
      "\u00c9t\u00e9",
      "na\u00efve",
      "\u00a0nbsp\u00a0",
      "em\u2003space",
      "ideographic\u3000space",
      "\u00b2\u00bd",
      "\u00aa\u00ba",
      "emoji \u{1F600} here",
      "\u{1F600}",
      "cr\rend",
      "line\u2028sep",
      "back\\slash",
      "a.b",
      "axb",
      "",
      "   ",
      "under_score",
      "user@example.com",
      ">>> ",
      "(gdb) ",
      "$ ",
    ];
    const patterns = [
      // GNU reads an escaped ordinary character as itself: \d is d, \t is t.
      "\\d",
      "\\t",
      "\\D",
      "\\n",
      "\\r",
      "x\\d+",
      "^\\d$",
      "[\\d]",
      "a\\.b",
      "\\$ $",
      // GNU extensions that do work.
      "\\w",
      "^\\w+$",
      "\\W",
      "\\s",
      "^\\s*$",
      "\\S+\\s\\S+",
      "\\bfoo\\b",
      "\\Boo",
      "o\\B",
      "\\<foo",
      "foo\\>",
      "\\<\\w+@\\w+\\.com\\>",
      "\\bt\u00e9",
      "caf\u00e9\\b",
      "\\w\\W\\w",
      // Classes and the dot, where glibc and the translator agree.
      "^[[:alpha:]]+$",
      "^[[:alnum:]_]+$",
      "[[:upper:]]",
      "^[[:lower:]]+$",
      "[[:space:]]",
      "[[:blank:]]",
      "[[:cntrl:]]",
      "[[:digit:]]",
      "^.$",
      "^.{3}$",
      "cr.end",
      "line.sep",
      ">>> ?$",
      "^\\(gdb\\) $",
    ];
    const differences: string[] = [];
    for (const pattern of patterns) {
      const matcher = compilePattern(pattern);
      const ours = lines.filter((line) => matcher(line));
      const grep = await grepE(pattern, lines);
      if (JSON.stringify(ours) !== JSON.stringify(grep)) {
        differences.push(
          `${JSON.stringify(pattern)}: grep ${JSON.stringify(grep)}, ours ${
            JSON.stringify(ours)
          } (${ereToJs(pattern)})`,
        );
      }
    }
    assertEquals(differences, []);
  },
});

Deno.test("output after a send leaves out the typed line and a pasted block's echo", () => {
  const captured = [
    ">>> def foo():",
    "...     return 42",
    "... ",
    "print(foo())",
    ">>> print(foo())",
    "42",
    ">>> ",
    "",
    "",
  ];
  assertEquals(
    outputAfterSend(captured, "def foo():\n    return 42\n\nprint(foo())\n\n"),
    ["... ", "42", ">>> "],
  );
  // A one-line send drops only its own (possibly wrapped, so joined) line.
  assertEquals(outputAfterSend(["$ echo 'x'", "x", "$ "], "echo 'x'"), ["x", "$ "]);
});

Deno.test("send helpers keep text as text", () => {
  equal(tmuxArgument("echo hi;"), "echo hi\\;");
  equal(tmuxArgument("echo \\;"), "echo \\\\;");
  equal(tmuxArgument("-la"), "-la");
  equal(withBlankLine("a"), "a\n\n");
  equal(withBlankLine("a\n"), "a\n\n");
  equal(withBlankLine("a\n\n"), "a\n\n");
  equal(withBlankLine(""), "\n");
  assertEquals(captureArgs("%3", { history: 1000, join: true }), [
    "capture-pane",
    "-p",
    "-t",
    "%3",
    "-J",
    "-S",
    "-1000",
  ]);
  assertEquals(captureArgs("%3", { history: "all", escapes: true, end: 5 }), [
    "capture-pane",
    "-p",
    "-t",
    "%3",
    "-e",
    "-S",
    "-",
    "-E",
    "5",
  ]);
});

Deno.test("capture and snapshot read a pane's text and state together", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "cap", ["sh", "-c", "printf 'alpha\\nbeta\\n'; exec sleep 100"]);
  const pane = await paneOf(box, sock, "cap");
  await waitUntil(async () => (await screen(box, sock, pane)).includes("beta"));
  const core = await corePane(sock, pane);
  assertEquals(await core.capture({ join: true, trimTrailingBlank: true }), ["alpha", "beta"]);
  assertEquals(await core.capture({ trimTrailingBlank: true, last: 1 }), ["beta"]);
  const snap = await core.snapshot({ history: 10, trimTrailingBlank: true });
  assertEquals(snap.lines, ["alpha", "beta"]);
  assertEquals(snap.state, {
    dead: false,
    historySize: 0,
    historyLimit: 2000,
    cursorY: 2,
    cursorX: 0,
    alternateOn: false,
    session: "cap",
  });
});

Deno.test("the control-mode client wakes on output, keeps the window size, and leaves", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const pane = await bashPane(box, sock, "ctl", ["100", "30"]);
  const server = new Server({ path: sock });

  const client = await ControlClient.attach(server, "ctl", { pane });
  assert(client !== null);
  try {
    equal(await clients(box, sock), "1\n");
    const seen = client.seq;
    await box.tmux(sock, "send-keys", "-t", pane, "echo woken", "Enter");
    equal(await client.changed(seen, 20_000), "changed");
    equal(
      (await box.tmux(sock, "display", "-p", "-t", pane, "#{window_width}x#{window_height}"))
        .trim(),
      "100x30",
    );
  } finally {
    await client.close();
  }
  equal(await clients(box, sock), "");

  // A session that is not there, or no server: no client (the caller polls), no new server.
  equal(await ControlClient.attach(server, "nope"), null);
  const none = box.socket("none.sock");
  equal(await ControlClient.attach(new Server({ path: none }), "ctl"), null);
  const exists = await Deno.stat(none).then(() => true, () => false);
  equal(exists, false);
});

Deno.test("waitForText outcomes", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const core = (id: string) => corePane(sock, id);
  /**
   * Types `sent` (then Enter) and waits for `pattern` in the output after
   * `anchor` (default: the anchor of an atomic anchored send).
   */
  const sendAndWait = async (id: string, sent: string, pattern: string, anchor?: Anchor) => {
    const p = await core(id);
    let from = anchor;
    if (from === undefined) from = await p.sendAnchored(sent, "keys");
    else await p.send(sent, "keys");
    return await waitForText(p, {
      matcher: compilePattern(pattern),
      waitMs: 20_000,
      after: { anchor: from, sent },
    });
  };

  await t.step("text already on screen matches at once, without a send", async () => {
    const pane = await bashPane(box, sock, "now");
    const outcome = await waitForText(await core(pane), {
      matcher: compilePattern("^\\$ $"),
      waitMs: 20_000,
    });
    assertEquals(outcome, { kind: "matched", line: "$ " });
  });

  await t.step("after a send, the old prompt and the typed line don't count", async () => {
    const pane = await bashPane(box, sock, "anchored");
    const outcome = await sendAndWait(pane, "sleep 0.3; echo marker-$((6*7))", "marker|^\\$ $");
    // Unanchored, the prompt on screen or the echo `$ sleep ...; echo marker-...` would match.
    assertEquals(outcome, { kind: "matched", line: "marker-42" });
  });

  await t.step("a typed line that wraps is still the typed line", async () => {
    const pane = await bashPane(box, sock, "narrow", ["30", "10"]);
    const outcome = await sendAndWait(
      pane,
      `sleep 0.2; echo ${"x".repeat(40)} long-$((1+1))`,
      "long",
    );
    assertEquals(outcome, { kind: "matched", line: `${"x".repeat(40)} long-2` });
  });

  await t.step("a pasted block's echo is not its output", async () => {
    await box.newSession(sock, "py", ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"]);
    const pane = await paneOf(box, sock, "py");
    await waitUntil(async () => (await screen(box, sock, pane)).includes(">>>"));
    const py = await core(pane);
    const anchor = await anchorNow(py);
    const block = "def total():\n    return 40 + 2\n\nprint('sum', total())";
    await py.send(block, "paste");
    const outcome = await waitForText(await core(pane), {
      matcher: compilePattern("sum|^>>>"),
      waitMs: 20_000,
      after: { anchor, sent: block },
    });
    assertEquals(outcome, { kind: "matched", line: "sum 42" });
    equal(await box.tmux(sock, "list-buffers"), "");
  });

  await t.step("a cleared history moves the anchor with it", async () => {
    const pane = await bashPane(box, sock, "cleared", ["80", "5"]);
    await (await core(pane)).send("seq 1 20", "keys");
    await waitUntil(async () => (await screen(box, sock, pane)).includes("20\n$ "));
    const anchor = await anchorNow(await core(pane));
    assert(anchor.historySize > 0);
    await box.tmux(sock, "clear-history", "-t", pane);
    const outcome = await sendAndWait(
      pane,
      "sleep 0.2; echo after-$((2*3))",
      "after-6|^\\$ $",
      anchor,
    );
    assertEquals(outcome, { kind: "matched", line: "after-6" });
  });

  await t.step("a command that clears screen and history: all its text is new", async () => {
    const pane = await bashPane(box, sock, "wiped", ["80", "8"]);
    await (await core(pane)).send("seq 1 20", "keys");
    await waitUntil(async () => (await screen(box, sock, pane)).includes("20\n$ "));
    const anchor = await anchorNow(await core(pane));
    assert(anchor.historySize > 0 && anchor.cursorY > 0);
    const outcome = await sendAndWait(
      pane,
      "printf '\\033[H\\033[2J\\033[3J'; echo top-$((1+1))",
      "^top-2$",
      anchor,
    );
    assertEquals(outcome, { kind: "matched", line: "top-2" });
  });

  await t.step("polling finds text too when control mode is not used", async () => {
    const pane = await bashPane(box, sock, "polled");
    const waiting = waitForText(await core(pane), {
      matcher: compilePattern("^polled-[[:digit:]]+$"),
      waitMs: 20_000,
      intervalMs: 20,
      events: false,
    });
    await (await core(pane)).send("echo polled-$((3*3))", "keys");
    assertEquals(await waiting, { kind: "matched", line: "polled-9" });
  });

  await t.step("a timeout reports the last text", async () => {
    await box.newSession(sock, "quiet", ["sh", "-c", "printf 'one\\ntwo\\n'; exec sleep 100"]);
    const pane = await paneOf(box, sock, "quiet");
    await waitUntil(async () => (await screen(box, sock, pane)).includes("two"));
    const outcome = await waitForText(await core(pane), {
      matcher: compilePattern("three"),
      waitMs: 200,
    });
    assertEquals(outcome, { kind: "timed_out", lastText: "one\ntwo" });
  });

  await t.step("an abort cancels the wait and detaches the client", async () => {
    const pane = await bashPane(box, sock, "cancel");
    const controller = new AbortController();
    const waiting = waitForText(await core(pane), {
      matcher: compilePattern("never"),
      waitMs: 60_000,
      signal: controller.signal,
    });
    await waitUntil(async () => (await clients(box, sock)) === "1\n");
    const reason = new Error("stop waiting");
    controller.abort(reason);
    await assertRejects(waiting, (e: unknown) => e === reason);
    equal(await clients(box, sock), "");
  });

  await t.step("a killed pane ends the wait", async () => {
    await bashPane(box, sock, "split");
    const pane =
      (await box.tmux(sock, "split-window", "-P", "-F", "#{pane_id}", "-t", "=split:", ...BASH))
        .trim();
    const waiting = waitForText(await core(pane), {
      matcher: compilePattern("never"),
      waitMs: 60_000,
    });
    await waitUntil(async () => (await clients(box, sock)) === "1\n");
    await box.tmux(sock, "kill-pane", "-t", pane);
    const outcome = await waiting;
    equal(outcome.kind, "pane_gone");
    assertMatch((outcome as { reason: string }).reason, /no longer exists/);
    equal(await clients(box, sock), "");
  });

  await t.step("a pane whose process dies under remain-on-exit ends the wait", async () => {
    await box.tmux(sock, "set-option", "-g", "remain-on-exit", "on");
    const pane = await bashPane(box, sock, "dies");
    const waiting = waitForText(await core(pane), {
      matcher: compilePattern("never"),
      waitMs: 60_000,
    });
    await waitUntil(async () => (await clients(box, sock)) === "1\n");
    await (await core(pane)).send("exit", "keys");
    assertEquals(await waiting, { kind: "pane_gone", reason: `pane ${pane} is dead` });
    await box.tmux(sock, "set-option", "-g", "remain-on-exit", "off");
  });

  await t.step("a server that goes away ends the wait", async () => {
    const other = box.socket("other.sock");
    await box.newSession(other, "srv", BASH);
    const pane = await paneOf(box, other, "srv");
    const waiting = waitForText(await corePane(other, pane), {
      matcher: compilePattern("never"),
      waitMs: 60_000,
    });
    await waitUntil(async () => (await clients(box, other)) === "1\n");
    await box.tmux(other, "kill-server");
    const outcome = await waiting;
    equal(outcome.kind, "pane_gone");
  });
});

Deno.test("parallel pastes each get their own text and leave no buffer", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const panes = await Promise.all(["p1", "p2", "p3"].map((n) => bashPane(box, sock, n)));
  await Promise.all(
    panes.map(async (pane, i) =>
      await (await corePane(sock, pane)).send(`echo own-${i}-$((${i}*11))`, "paste")
    ),
  );
  for (const [i, pane] of panes.entries()) {
    await waitUntil(async () => (await screen(box, sock, pane)).includes(`own-${i}-${i * 11}\n`));
    const text = await screen(box, sock, pane);
    for (let j = 0; j < panes.length; j++) if (j !== i) assert(!text.includes(`own-${j}`), text);
  }
  equal(await box.tmux(sock, "list-buffers"), "");
});
