import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { Sandbox } from "./helpers.ts";

/** Session names on a socket, or null when no server answers there. */
async function tmuxSessions(box: Sandbox, socket: string): Promise<string[] | null> {
  const r = await box.tmuxRaw(socket, "list-sessions", "-F", "#{session_name}");
  return r.code === 0 ? r.stdout.split("\n").filter((l) => l !== "").sort() : null;
}

/** Registry text with these entries (as create-session would write them). */
function registryText(entries: Record<string, { socket: string; target?: string }>): string {
  const sessions: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(entries)) {
    sessions[name] = {
      socket: e.socket,
      target: e.target ?? `${name}:0.0`,
      type: "shell",
      created_at: "2025-11-23T10:00:00Z",
      last_active: "2025-11-23T10:00:00Z",
    };
  }
  return JSON.stringify({ sessions, version: "1.0" }, null, 2) + "\n";
}

/**
 * Makes `dir` unwritable (chmod 0500; for root, whom modes don't stop,
 * `chattr +i`); returns the function that undoes it.
 */
async function makeUnwritable(dir: string): Promise<() => Promise<void>> {
  if (Deno.uid() !== 0) {
    await Deno.chmod(dir, 0o500);
    return () => Deno.chmod(dir, 0o700);
  }
  const chattr = (flag: string) =>
    new Deno.Command("chattr", { args: [flag, dir], stdout: "null", stderr: "null" }).output()
      .then((out) => out.success, () => false);
  if (!(await chattr("+i"))) throw new Error(`chattr +i ${dir} failed`);
  return async () => {
    await chattr("-i");
  };
}

/** Whether {@link makeUnwritable} works here (chattr needs a file system that supports it). */
async function canMakeUnwritable(): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "ctmux-ro-" });
  try {
    const restore = await makeUnwritable(dir);
    try {
      return await Deno.writeTextFile(`${dir}/probe`, "").then(() => false, () => true);
    } finally {
      await restore();
    }
  } catch {
    return false;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function registeredNames(box: Sandbox): Promise<string[]> {
  return Object.keys((await box.registry()).sessions).sort();
}

Deno.test("kill-session argument errors exit 3", async (t) => {
  await using box = await Sandbox.create();

  await t.step("--help names kill-session.sh and has examples, exit 0", async () => {
    for (const flag of ["-h", "--help"]) {
      const r = await box.run("kill-session", [flag]);
      equal(r.code, 0);
      assertMatch(r.stdout, /^Usage: kill-session\.sh /);
      assertMatch(r.stdout, /Examples:\n {2}kill-session\.sh -s /);
      equal(r.stderr, "");
    }
  });

  await t.step("-s or -t with an empty value", async () => {
    for (const args of [["-s", ""], ["--session", ""], ["-S", "x.sock", "-t", ""]]) {
      const r = await box.run("kill-session", args);
      equal(r.code, 3);
      equal(r.stderr, "Error: -s requires a session name\n");
      equal(r.stdout, "");
    }
  });

  await t.step("-S without -t and the reverse, even with -s", async () => {
    for (
      const args of [
        ["-S", "x.sock"],
        ["-t", "a:0.0"],
        ["-s", "a", "-S", "x.sock"],
        ["-s", "a", "--target", "a:0.0"],
        ["--socket", "x.sock", "-s", "a"],
      ]
    ) {
      const r = await box.run("kill-session", args);
      equal(r.code, 3, args.join(" "));
      assertMatch(r.stderr, /^Error: Both -S and -t must be specified together\n$/);
    }
  });

  await t.step("an option without its value: one line", async () => {
    for (const args of [["-s"], ["-S", "x.sock", "-t"]]) {
      const r = await box.run("kill-session", args);
      equal(r.code, 3, args.join(" "));
      assertMatch(r.stderr, /^[^\n]+\n$/);
      equal(r.stdout, "");
    }
  });

  await t.step(
    "an unknown option or argument: the original's line, then the usage on stdout",
    async () => {
      const usage = (await box.run("kill-session", ["--help"])).stdout;
      const cases: [string[], string][] = [
        [["--bogus"], "--bogus"],
        [["-s", "a", "-x"], "-x"],
        [["stray"], "stray"],
      ];
      for (const [args, option] of cases) {
        const r = await box.run("kill-session", args);
        equal(r.code, 3, args.join(" "));
        equal(r.stderr, `Error: Unknown option: ${option}\n`);
        equal(r.stdout, usage);
      }
    },
  );

  await t.step("tmux missing from PATH: exit 3", async () => {
    const r = await box.run("kill-session", ["-S", box.socket(), "-t", "a"], {
      env: { PATH: "/nonexistent" },
    });
    equal(r.code, 3);
    assertMatch(r.stderr, /tmux not found in PATH/);
  });
});

Deno.test("kill-session look-up errors exit 2", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();

  await t.step("auto-detect with no registry: exactly 'No sessions in registry'", async () => {
    const r = await box.run("kill-session", []);
    equal(r.code, 2);
    equal(r.stderr, "Error: No sessions in registry\n");
    equal(r.stdout, "");
  });

  await t.step("auto-detect with several sessions lists them", async () => {
    await box.writeRegistry(registryText({ beta: { socket: sock }, alpha: { socket: sock } }));
    const r = await box.run("kill-session", ["--dry-run"]);
    equal(r.code, 2);
    equal(
      r.stderr,
      "Error: Multiple sessions found, specify -s session-name:\n  - alpha\n  - beta\n",
    );
    equal(r.stdout, "");
  });

  await t.step("unknown name", async () => {
    const r = await box.run("kill-session", ["-s", "nope"]);
    equal(r.code, 2);
    equal(r.stderr, "Error: Session 'nope' not found in registry\n");
  });

  await t.step("corrupt registry: one line naming the file, exit 2, unchanged", async () => {
    await box.writeRegistry("[1, 2");
    for (const args of [["-s", "alpha"], []]) {
      const r = await box.run("kill-session", args);
      equal(r.code, 2);
      assertMatch(r.stderr, /^[^\n]*\.sessions\.json[^\n]*not valid JSON[^\n]*\n$/);
      equal(await Deno.readTextFile(box.registryFile), "[1, 2");
    }
  });
});

Deno.test("kill-session refuses a registry others can write: exit 2", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "web");
  await box.writeRegistry(registryText({ web: { socket: sock } }));
  await Deno.chmod(box.registryFile, 0o666);
  const r = await box.run("kill-session", ["-s", "web"]);
  equal(r.code, 2);
  assertMatch(r.stderr, /^[^\n]*Refusing to use[^\n]*\n$/);
  assertEquals(await tmuxSessions(box, sock), ["web"]);
});

Deno.test("kill-session --dry-run says what it would do and changes nothing", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "web");
  await box.writeRegistry(registryText({ web: { socket: sock } }));
  const before = await Deno.readTextFile(box.registryFile);

  await t.step("registered session (-s and auto-detect)", async () => {
    for (const args of [["-s", "web", "--dry-run"], ["--dry-run"]]) {
      const r = await box.run("kill-session", args);
      equal(r.code, 0);
      equal(
        r.stdout,
        "Dry-run mode: Would perform the following operations:\n" +
          `  1. Kill tmux session: tmux -S "${sock}" kill-session -t "web"\n` +
          "  2. Remove from registry: web\n",
      );
      equal(r.stderr, "");
    }
  });

  await t.step("explicit target not in the registry", async () => {
    await box.newSession(sock, "loose");
    const r = await box.run("kill-session", ["-S", sock, "-t", "loose:0.0", "--dry-run"]);
    equal(r.code, 0);
    equal(
      r.stdout,
      "Dry-run mode: Would perform the following operations:\n" +
        `  1. Kill tmux session: tmux -S "${sock}" kill-session -t "loose"\n` +
        "  2. Session not in registry, skip deregistration\n",
    );
  });

  await t.step("nothing changed", async () => {
    assertEquals(await tmuxSessions(box, sock), ["loose", "web"]);
    equal(await Deno.readTextFile(box.registryFile), before);
  });
});

Deno.test("kill-session kills and deregisters", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  const other = box.socket("other.sock");

  await t.step("-s NAME: both done, exit 0, progress on stdout only", async () => {
    await box.newSession(sock, "web");
    await box.newSession(sock, "keep");
    await box.writeRegistry(registryText({ web: { socket: sock }, keep: { socket: sock } }));
    const r = await box.run("kill-session", ["-s", "web"]);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      "Killing tmux session: web\n" +
        "  \u2713 Tmux session killed successfully\n" +
        "Removing from registry: web\n" +
        "  \u2713 Removed from registry successfully\n" +
        "Session 'web' fully removed\n",
    );
    equal(r.stderr, "");
    assertEquals(await tmuxSessions(box, sock), ["keep"]);
    assertEquals(await registeredNames(box), ["keep"]);
  });

  await t.step("auto-detect the only session, -v details on stderr", async () => {
    const r = await box.run("kill-session", ["-v"]);
    equal(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^Killing tmux session: keep\n[^]*Session 'keep' fully removed\n$/);
    equal(
      r.stderr,
      "Attempting auto-detect...\n" +
        "Auto-detected session: keep\n" +
        `Auto-detected: socket=${sock}, target=keep:0.0\n` +
        "Tmux kill-session succeeded\n" +
        "Registry removal succeeded\n",
    );
    assertEquals(await registeredNames(box), []);
  });

  await t.step("a registered session already gone: entry removed, exit 1", async () => {
    await box.writeRegistry(registryText({ gone: { socket: sock } }));
    const r = await box.run("kill-session", ["-s", "gone"]);
    equal(r.code, 1);
    equal(
      r.stdout,
      "Killing tmux session: gone\n" +
        "Removing from registry: gone\n" +
        "  \u2713 Removed from registry successfully\n",
    );
    equal(
      r.stderr,
      "  \u2717 Failed to kill tmux session (exit code: 1)\n" +
        "Warning: Partial removal of session 'gone'\n",
    );
    assertEquals(await registeredNames(box), []);
  });

  await t.step("kills exactly the named session: foo never hits foobar", async () => {
    await box.newSession(sock, "foobar");
    const r = await box.run("kill-session", ["-S", sock, "-t", "foo"]);
    equal(r.code, 1);
    assertEquals(await tmuxSessions(box, sock), ["foobar"]);
  });

  await t.step("explicit mode, never registered: counts as done, exit 0", async () => {
    const r = await box.run("kill-session", ["-S", sock, "-t", "foobar:0.0"]);
    equal(r.code, 0, r.stderr);
    // As the original: nothing is said about the registry unless -v.
    equal(
      r.stdout,
      "Killing tmux session: foobar\n" +
        "  \u2713 Tmux session killed successfully\n" +
        "Session 'foobar' fully removed\n",
    );
    equal(r.stderr, "");
    await box.newSession(sock, "loose");
    const v = await box.run("kill-session", ["-S", sock, "-t", "loose", "-v"]);
    equal(v.code, 0, v.stderr);
    equal(
      v.stderr,
      `Using explicit mode: socket=${sock}, target=loose\n` +
        "Tmux kill-session succeeded\n" +
        "Session not in registry, skipping deregistration\n",
    );
  });

  await t.step("explicit mode keeps an entry of that name on another socket", async () => {
    await box.newSession(sock, "twin");
    await box.newSession(other, "twin");
    await box.writeRegistry(registryText({ twin: { socket: other } }));
    const r = await box.run("kill-session", ["--socket", sock, "--target", "twin"]);
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      "Killing tmux session: twin\n  \u2713 Tmux session killed successfully\n" +
        "Session 'twin' fully removed\n",
    );
    equal((await box.registry()).sessions.twin.socket, other);
    assertEquals(
      (await tmuxSessions(box, sock)) ?? [],
      [],
      "no session left (the server may be exiting)",
    );
    assertEquals(await tmuxSessions(box, other), ["twin"]);
  });

  await t.step(
    "explicit mode with a relative socket path removes the same-socket entry",
    async () => {
      const r = await box.run("kill-session", ["-S", "other.sock", "-t", "twin:0.0"], {
        cwd: box.root,
      });
      equal(r.code, 0, r.stderr);
      assertMatch(
        r.stdout,
        /^Removing from registry: twin\n {2}\u2713 Removed from registry successfully\n/m,
      );
      assertEquals(await registeredNames(box), []);
    },
  );
});

Deno.test("kill-session when the registry can't be updated", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket();

  await t.step("explicit target, corrupt registry: tmux kill still works, exit 1", async () => {
    await box.newSession(sock, "web");
    await box.writeRegistry("not json");
    const r = await box.run("kill-session", ["-S", sock, "-t", "web:0.0"]);
    equal(r.code, 1);
    equal(
      r.stdout,
      "Killing tmux session: web\n  \u2713 Tmux session killed successfully\n" +
        "Removing from registry: web\n",
    );
    assertMatch(
      r.stderr,
      /^registry: Registry .* is unusable: not valid JSON.*\n {2}\u2717 Failed to remove from registry\nWarning: Partial removal of session 'web'\n$/,
    );
    assertEquals(
      (await tmuxSessions(box, sock)) ?? [],
      [],
      "no session left (the server may be exiting)",
    );
    equal(await Deno.readTextFile(box.registryFile), "not json");
  });

  await t.step("neither done: exit 2", async () => {
    const r = await box.run("kill-session", ["-S", sock, "-t", "web:0.0"]);
    equal(r.code, 2);
    equal(r.stdout, "Killing tmux session: web\nRemoving from registry: web\n");
    assertMatch(
      r.stderr,
      /^ {2}\u2717 Failed to kill tmux session \(exit code: 1\)\nregistry: .*\n {2}\u2717 Failed to remove from registry\nError: Failed to remove session 'web'\n$/,
    );
  });

  await t.step({
    name: "a registry folder that can't be written: killed, exit 1, the failure lines",
    ignore: !(await canMakeUnwritable()),
    fn: async () => {
      await box.newSession(sock, "k");
      await box.writeRegistry(registryText({ k: { socket: sock } }));
      await Deno.writeTextFile(`${box.socketDir}/.sessions.lock`, "");
      const before = await Deno.readTextFile(box.registryFile);
      const restore = await makeUnwritable(box.socketDir);
      let r;
      try {
        r = await box.run("kill-session", ["-s", "k"]);
      } finally {
        await restore();
      }
      equal(r.code, 1, r.stderr);
      equal(
        r.stdout,
        "Killing tmux session: k\n  \u2713 Tmux session killed successfully\n" +
          "Removing from registry: k\n",
      );
      assertMatch(
        r.stderr,
        /^registry: [^\n]*\n {2}\u2717 Failed to remove from registry\nWarning: Partial removal of session 'k'\n$/,
      );
      assertEquals(
        (await tmuxSessions(box, sock)) ?? [],
        [],
        "no session left (the server may be exiting)",
      );
      equal(await Deno.readTextFile(box.registryFile), before);
    },
  });

  await t.step("lock timeout while deregistering: killed, exit 1, lock named", async () => {
    await box.newSession(sock, "locked");
    await box.writeRegistry(registryText({ locked: { socket: sock } }));
    const lockFile = `${box.socketDir}/.sessions.lock`;
    using lock = await Deno.open(lockFile, { create: true, write: true });
    await lock.lock(true);
    const r = await box.run("kill-session", ["-s", "locked"], { env: { LOCK_TIMEOUT: "0.2" } });
    equal(r.code, 1);
    assertMatch(r.stderr, new RegExp(`lock ${lockFile.replace(/\./g, "\\.")}`));
    assertMatch(
      r.stderr,
      /\n {2}\u2717 Failed to remove from registry\nWarning: Partial removal of session 'locked'\n$/,
    );
    assertEquals(
      (await tmuxSessions(box, sock)) ?? [],
      [],
      "no session left (the server may be exiting)",
    );
    assertEquals(await registeredNames(box), ["locked"]);
  });
});
