import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok,
  rejects as assertRejects,
} from "node:assert/strict";
import { join } from "node:path";
import {
  ServerNotRunningError,
  TmuxCommandError,
  TmuxNotFoundError,
  TmuxTimeoutError,
} from "../lib/errors.ts";
import { FIELD_SEP, formatTemplate, parseRows } from "../lib/quote.ts";
import { socketArgs, tmux } from "../lib/tmux.ts";
import { Sandbox, waitUntil } from "./helpers.ts";

const decoder = new TextDecoder();

/**
 * A directory with a fake `tmux` script, given to `fn` with the script's
 * path (passed as the runner's `program`: the process-wide PATH is shared
 * by test files running in parallel, so it is never changed).
 */
async function withFakeTmux<T>(
  script: string,
  fn: (dir: string, program: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "fake-tmux-" });
  const program = join(dir, "tmux");
  await Deno.writeTextFile(program, `#!/bin/bash\n${script}\n`);
  await Deno.chmod(program, 0o755);
  try {
    return await fn(dir, program);
  } finally {
    // Kill whatever the fake left running (its pids are in *.pid files).
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".pid")) continue;
      const pid = Number((await Deno.readTextFile(join(dir, e.name))).trim());
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* already gone */ }
    }
    await Deno.remove(dir, { recursive: true });
  }
}

async function readPid(file: string): Promise<number> {
  const text = await waitUntil(async () => {
    try {
      return (await Deno.readTextFile(file)).trim();
    } catch {
      return "";
    }
  }, { message: `pid file ${file}` });
  return Number(text);
}

/** Whether a process exists and is not a zombie. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test("tmux runner bounds every call and types every failure", async (t) => {
  await t.step("a hung tmux is killed at the bound: TmuxTimeoutError", async () => {
    await withFakeTmux(
      'echo $$ > "$(dirname "$0")/self.pid"; exec sleep 60',
      async (dir, program) => {
        // The fake would exit 0 after its sleep: only the bound can make this a timeout error.
        const error = await tmux(["list-panes", "-a"], { program, timeoutMs: 300 }).then(
          () => undefined,
          (e) => e,
        );
        ok(error instanceof TmuxTimeoutError, `got ${error}`);
        equal(error.subcommand, "list-panes");
        equal(error.timeoutMs, 300);
        assertMatch(error.message, /tmux list-panes did not answer within 300 ms/);
        const pid = await readPid(join(dir, "self.pid"));
        await waitUntil(async () => !(await alive(pid)), { message: "fake tmux killed" });
      },
    );
  });

  await t.step("a child that keeps tmux's pipes open cannot stretch the bound", async () => {
    // bash is killed, but its `sleep` child still holds stdout and stderr.
    const script = 'd="$(dirname "$0")"; echo $$ > "$d/self.pid"; ' +
      'sleep 60 & echo $! > "$d/child.pid"; wait';
    await withFakeTmux(script, async (dir, program) => {
      await assertRejects(
        tmux(["capture-pane", "-p"], { program, timeoutMs: 300 }),
        TmuxTimeoutError,
      );
      const child = await readPid(join(dir, "child.pid"));
      ok(await alive(child), "the grandchild was still holding the pipes");
      const self = await readPid(join(dir, "self.pid"));
      await waitUntil(async () => !(await alive(self)), { message: "fake tmux killed" });
    });
  });

  await t.step("a user AbortSignal kills the call and rejects with its reason", async () => {
    await withFakeTmux(
      'echo $$ > "$(dirname "$0")/self.pid"; exec sleep 60',
      async (dir, program) => {
        const controller = new AbortController();
        const call = tmux(["send-keys", "x"], {
          program,
          timeoutMs: 60_000,
          signal: controller.signal,
        });
        const pid = await readPid(join(dir, "self.pid"));
        controller.abort();
        const error = await call.then(() => undefined, (e) => e);
        ok(error instanceof DOMException, `got ${error}`);
        equal(error.name, "AbortError");
        await waitUntil(async () => !(await alive(pid)), { message: "fake tmux killed" });
      },
    );
  });

  await t.step("an already aborted signal never starts tmux", async () => {
    await withFakeTmux('touch "$(dirname "$0")/ran"', async (dir, program) => {
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await assertRejects(tmux(["ls"], { program, signal: controller.signal }), /stop/);
      await assertRejects(Deno.stat(join(dir, "ran")), Deno.errors.NotFound);
    });
  });

  await t.step("tmux missing: TmuxNotFoundError", async () => {
    const empty = await Deno.makeTempDir();
    try {
      await assertRejects(tmux(["ls"], { program: join(empty, "tmux") }), TmuxNotFoundError);
    } finally {
      await Deno.remove(empty);
    }
  });

  await t.step("non-zero exit: TmuxCommandError with subcommand, stderr and code", async () => {
    await withFakeTmux('echo "bad target: $3" >&2; exit 3', async (_dir, program) => {
      const error = await tmux(["has-session", "-t", "=x"], { program }).then(
        () => undefined,
        (e) => e,
      );
      ok(error instanceof TmuxCommandError, `got ${error}`);
      equal(error.subcommand, "has-session");
      equal(error.stderr, "bad target: =x\n");
      equal(error.exitCode, 3);
      equal(error.message, "tmux has-session failed (exit 3): bad target: =x");
    });
  });

  await t.step(
    "'no server running' and 'error connecting' mean ServerNotRunningError",
    async () => {
      for (const text of ["no server running on /x/s.sock", "error connecting to /x (Nope)"]) {
        await withFakeTmux(`echo "${text}" >&2; exit 1`, async (_dir, program) => {
          const error = await tmux(["ls"], { program, socket: { path: "/x/s.sock" } }).then(
            () => undefined,
            (e) => e,
          );
          ok(error instanceof ServerNotRunningError, `${text}: got ${error}`);
          equal(error.socket, "/x/s.sock");
        });
      }
    },
  );

  await t.step("arguments reach tmux as one argv, socket flag first", async () => {
    await withFakeTmux('printf "%s\\0" "$@"', async (_dir, program) => {
      const args = ["send-keys", "-l", "--", "-x; echo $HOME 'q' \"d\"", "a b"];
      const argv = async (socket?: { path?: string; name?: string }) =>
        (await tmux(args, { program, socket })).split("\0").slice(0, -1);
      assertEquals(await argv({ path: "/s p/x.sock" }), ["-S", "/s p/x.sock", ...args]);
      assertEquals(await argv({ name: "work" }), ["-L", "work", ...args]);
      assertEquals(await argv(), args);
      assertEquals(socketArgs({ path: "/p", name: "n" }), ["-S", "/p"]);
    });
  });

  await t.step("large stdin and stdout pass without deadlock", async () => {
    await withFakeTmux("cat", async (_dir, program) => {
      const big = new TextEncoder().encode("0123456789abcdef\n".repeat(64 * 1024)); // 1 MiB
      const out = await tmux(["load-buffer", "-"], { program, stdin: big, timeoutMs: 10_000 });
      equal(out.length, big.length);
      equal(out, decoder.decode(big));
    });
  });
});

Deno.test("tmux runner against a real tmux server", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket("real.sock");

  await t.step("no server on a missing socket: ServerNotRunningError naming it", async () => {
    const error = await tmux(["list-sessions"], { socket: { path: sock } }).then(
      () => undefined,
      (e) => e,
    );
    ok(error instanceof ServerNotRunningError, `got ${error}`);
    equal(error.message, `tmux server is not running on socket: ${sock}`);
  });

  await t.step("a socket file nobody serves: ServerNotRunningError", async () => {
    const stale = box.socket("stale.sock");
    const listener = Deno.listen({ transport: "unix", path: stale });
    listener.close(); // the file stays, nobody listens
    await assertRejects(
      tmux(["list-sessions"], { socket: { path: stale } }),
      ServerNotRunningError,
    );
  });

  await box.newSession(sock, "alpha");
  await box.newSession(sock, "beta");

  await t.step("a -F listing parses into rows of fields", async () => {
    const out = await tmux(
      ["list-sessions", "-F", formatTemplate(["session_name", "session_windows"])],
      { socket: { path: sock } },
    );
    assertEquals(parseRows(out), [["alpha", "1"], ["beta", "1"]]);
  });

  await t.step("a failing command: TmuxCommandError carrying tmux's stderr", async () => {
    const error = await tmux(["has-session", "-t", "=alp"], { socket: { path: sock } }).then(
      () => undefined,
      (e) => e,
    );
    ok(error instanceof TmuxCommandError, `got ${error}`);
    equal(error.subcommand, "has-session");
    equal(error.stderr, "can't find session: alp\n");
  });

  await t.step("stdin reaches tmux (load-buffer -)", async () => {
    const text = "line one\n-starts with dash;\n";
    await tmux(["load-buffer", "-b", "t1", "-"], {
      socket: { path: sock },
      stdin: new TextEncoder().encode(text),
    });
    equal(await tmux(["show-buffer", "-b", "t1"], { socket: { path: sock } }), text);
  });
});

Deno.test("formatTemplate and parseRows use the unit separator", () => {
  equal(formatTemplate(["a", "b_c"]), `#{a}${FIELD_SEP}#{b_c}`);
  assertEquals(parseRows(`x${FIELD_SEP}y\n\nz${FIELD_SEP}\n`), [["x", "y"], ["z", ""]]);
  assertEquals(parseRows(""), []);
});
