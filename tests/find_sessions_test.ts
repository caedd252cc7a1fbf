import { equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { Sandbox, waitUntil } from "./helpers.ts";

const decoder = new TextDecoder();

/** The session's creation time as ctime(3) prints it, computed by date(1) in the sandbox's zone. */
async function ctime(box: Sandbox, socket: string, session: string): Promise<string> {
  const epoch =
    (await box.tmux(socket, "display", "-p", "-t", `=${session}:`, "#{session_created}"))
      .trim();
  const out = await new Deno.Command("date", {
    args: ["-d", `@${epoch}`, "+%a %b %e %H:%M:%S %Y"],
    env: box.env,
    clearEnv: true,
  }).output();
  return decoder.decode(out.stdout).trim();
}

/** A socket path under tmux's own directory, as `-L NAME` (or no flag: `default`) resolves it. */
async function namedSocket(box: Sandbox, name: string): Promise<string> {
  const dir = join(box.env.TMUX_TMPDIR, `tmux-${Deno.uid()}`);
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  return join(dir, name);
}

Deno.test("find-sessions argument errors exit 1", async (t) => {
  await using box = await Sandbox.create();

  await t.step("-h and --help: usage with examples, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await box.run("find-sessions", [flag]);
      equal(r.code, 0);
      assertMatch(r.stdout, /^Usage: find-sessions\.sh /);
      assertMatch(r.stdout, /Examples:\n {2}find-sessions\.sh\n/);
      equal(r.stderr, "");
    }
  });

  await t.step("--all with -L or -S", async () => {
    for (const args of [["-A", "-L", "x"], ["--all", "--socket-path", "/p"], ["-S", "/p", "-A"]]) {
      const r = await box.run("find-sessions", args);
      equal(r.code, 1);
      equal(r.stderr, "Cannot combine --all with -L or -S\n");
      equal(r.stdout, "");
    }
  });

  await t.step("-L with -S", async () => {
    const r = await box.run("find-sessions", ["--socket", "x", "-S", "/p"]);
    equal(r.code, 1);
    equal(r.stderr, "Use either -L or -S, not both\n");
  });

  await t.step("option without value: one line", async () => {
    for (const args of [["-q"], ["-L"]]) {
      const r = await box.run("find-sessions", args);
      equal(r.code, 1, args.join(" "));
      assertMatch(r.stderr, /^[^\n]+\n$/);
      equal(r.stdout, "");
    }
  });

  await t.step("unknown option: the original's line, then the usage on stdout", async () => {
    const usage = (await box.run("find-sessions", ["--help"])).stdout;
    for (const args of [["--bogus"], ["stray"]]) {
      const r = await box.run("find-sessions", args);
      equal(r.code, 1, args.join(" "));
      equal(r.stderr, `Unknown option: ${args[0]}\n`);
      equal(r.stdout, usage);
    }
  });

  await t.step("tmux missing from PATH: exit 1", async () => {
    const r = await box.run("find-sessions", [], { env: { PATH: "/nonexistent" } });
    equal(r.code, 1);
    assertMatch(r.stderr, /tmux not found in PATH/);
  });
});

Deno.test("find-sessions lists one socket's sessions with state and start time", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket("work.sock");
  await box.newSession(sock, "Alpha-web");
  await box.newSession(sock, "beta");
  const alpha = await ctime(box, sock, "Alpha-web");
  const beta = await ctime(box, sock, "beta");
  const label = `socket path '${sock}'`;

  await t.step("-S PATH: both detached, real creation times", async () => {
    const r = await box.run("find-sessions", ["-S", sock]);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      `Sessions on ${label}:\n` +
        `  - Alpha-web (detached, started ${alpha})\n` +
        `  - beta (detached, started ${beta})\n`,
    );
    equal(r.stderr, "");
  });

  await t.step("an attached client shows as attached", async () => {
    const client = new Deno.Command("tmux", {
      args: ["-S", sock, "-C", "attach", "-t", "=beta"],
      env: box.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitUntil(
        async () =>
          (await box.tmux(sock, "display", "-p", "-t", "=beta:", "#{session_attached}")).trim() ===
            "1",
        { message: "the control client to attach" },
      );
      const r = await box.run("find-sessions", ["--socket-path", sock, "-q", "BETA"]);
      equal(r.code, 0, r.stderr);
      equal(r.stdout, `Sessions on ${label}:\n  - beta (attached, started ${beta})\n`);
    } finally {
      await client.stdin.close();
      await client.status;
    }
  });

  await t.step("-q matches the line case-insensitively", async () => {
    let r = await box.run("find-sessions", ["-S", sock, "-q", "WEB"]);
    equal(r.stdout, `Sessions on ${label}:\n  - Alpha-web (detached, started ${alpha})\n`);
    r = await box.run("find-sessions", ["-S", sock, "--query", "Detached, STARTED"]);
    equal(r.stdout.split("\n").length, 4);
  });

  await t.step("-q that matches nothing: 'No sessions found' on stdout, exit 0", async () => {
    const r = await box.run("find-sessions", ["-S", sock, "-q", "nomatch"]);
    equal(r.code, 0);
    equal(r.stdout, `No sessions found on ${label}\n`);
    equal(r.stderr, "");
  });

  await t.step("no server on the path: exit 1", async () => {
    const none = box.socket("none.sock");
    const r = await box.run("find-sessions", ["-S", none]);
    equal(r.code, 1);
    equal(r.stderr, `No tmux server found on socket path '${none}'\n`);
    equal(r.stdout, "");
  });
});

Deno.test("find-sessions -L NAME and tmux's default socket", async (t) => {
  await using box = await Sandbox.create();

  await t.step("-L NAME uses tmux's named socket", async () => {
    const sock = await namedSocket(box, "work");
    await box.newSession(sock, "named");
    const r = await box.run("find-sessions", ["-L", "work"]);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      `Sessions on socket name 'work':\n  - named (detached, started ${await ctime(
        box,
        sock,
        "named",
      )})\n`,
    );
  });

  await t.step("-L NAME without a server: exit 1", async () => {
    const r = await box.run("find-sessions", ["--socket", "idle"]);
    equal(r.code, 1);
    equal(r.stderr, "No tmux server found on socket name 'idle'\n");
  });

  await t.step("no flag, no server on the default socket: exit 1", async () => {
    const r = await box.run("find-sessions", []);
    equal(r.code, 1);
    equal(r.stderr, "No tmux server found on default socket\n");
  });

  await t.step("no flag: tmux's default socket", async () => {
    const sock = await namedSocket(box, "default");
    await box.newSession(sock, "dflt");
    const r = await box.run("find-sessions", []);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      `Sessions on default socket:\n  - dflt (detached, started ${await ctime(
        box,
        sock,
        "dflt",
      )})\n`,
    );
  });
});

Deno.test("find-sessions --all scans the socket directory", async (t) => {
  await using box = await Sandbox.create();
  const dir = box.socketDir;

  await t.step("socket directory missing: exit 1", async () => {
    const r = await box.run("find-sessions", ["-A"]);
    equal(r.code, 1);
    equal(r.stderr, `Socket directory not found: ${dir}\n`);
  });

  await t.step("no socket files (other files only): exit 1", async () => {
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.writeTextFile(join(dir, "notes.sock"), "not a socket");
    await Deno.writeTextFile(join(dir, ".sessions.json"), '{"sessions": {}, "version": "1.0"}');
    const r = await box.run("find-sessions", ["--all"]);
    equal(r.code, 1);
    equal(r.stderr, `No sockets found under ${dir}\n`);
    equal(r.stdout, "");
  });

  const a = join(dir, "a.sock");
  const b = join(dir, "b.sock");
  const c = join(dir, "c.sock");
  await box.newSession(a, "one");
  await box.newSession(c, "three");
  await box.newSession(c, "four");

  await t.step("every server answers: exit 0, sockets in name order", async () => {
    const r = await box.run("find-sessions", ["-A"]);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      `Sessions on socket path '${a}':\n` +
        `  - one (detached, started ${await ctime(box, a, "one")})\n` +
        `Sessions on socket path '${c}':\n` +
        `  - four (detached, started ${await ctime(box, c, "four")})\n` +
        `  - three (detached, started ${await ctime(box, c, "three")})\n`,
    );
    equal(r.stderr, "");
  });

  await t.step("a stale socket: reported, the others still listed, exit 1", async () => {
    await box.newSession(b, "two");
    await box.tmux(b, "kill-server");
    await waitUntil(async () => (await box.tmuxRaw(b, "list-sessions")).code !== 0);
    const r = await box.run("find-sessions", ["-A", "-q", "THRE"]);
    equal(r.code, 1);
    equal(r.stderr, `No tmux server found on socket path '${b}'\n`);
    equal(
      r.stdout,
      `No sessions found on socket path '${a}'\n` +
        `Sessions on socket path '${c}':\n` +
        `  - three (detached, started ${await ctime(box, c, "three")})\n`,
    );
  });
});
