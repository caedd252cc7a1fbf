/**
 * A registry that can't be written (a read-only filesystem, a lock that
 * can't be created): looking a session up never depends on writing, so
 * every single-pane tool still works and its `last_active` update is
 * skipped; only the operations whose purpose is to write fail, each with
 * its documented code, one line, and nothing lost or left behind.
 *
 * Root may write anywhere, so "read-only" is made real two ways: the lock
 * path under a regular file (ENOTDIR, works everywhere), and the registry
 * folder bind-mounted read-only in a private mount namespace of the tool
 * (EROFS; skipped where `unshare -m` and `mount` are not allowed).
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  assertCleanFailure,
  type GuardedOptions,
  type GuardedResult,
  runGuarded,
} from "./fixtures/guarded_run.ts";
import { pickToolkitEnv, Sandbox, testEntry, waitUntil } from "./helpers.ts";
import { Context, killSession, paneHealth, Registry, RegistryWriteError } from "../mod.ts";
import type { ToolName } from "../lib/permissions.ts";

/** How a world makes the registry unwritable for a tool run. */
interface Unwritable {
  label: string;
  /** What the writers' one error line says. */
  problem: RegExp;
  /** Run options that make it unwritable (env or a wrapping command). */
  options: (box: Sandbox) => Promise<GuardedOptions>;
  /** Whether this machine allows it. */
  available: () => Promise<boolean>;
}

/**
 * Runs `setup` (a shell script given `$1` = `dir`) in a private mount
 * namespace, then execs the tool there: its mounts end with the tool.
 */
function privateMounts(dir: string, setup: string): string[] {
  return ["unshare", "-m", "sh", "-c", `${setup} && shift && exec "$@"`, "sh", dir];
}

/** `dir` bind-mounted read-only over itself. */
const READ_ONLY = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1"';

/** `dir` replaced by a small tmpfs holding a copy of its registry, then filled up. */
const FULL = 't=$(mktemp) && cp "$1/.sessions.json" "$t" && ' +
  'mount -t tmpfs -o size=64k,mode=0700 tmpfs "$1" && cp "$t" "$1/.sessions.json" && rm "$t" && ' +
  '{ dd if=/dev/zero of="$1/filler" bs=4096 2>/dev/null; true; }';

/** Whether `unshare -m` and `mount` work here (root in a container may not have them). */
async function privateMountsWork(): Promise<boolean> {
  const dir = await Deno.makeTempDir();
  try {
    const [program, ...args] = privateMounts(dir, READ_ONLY);
    const probe = await new Deno.Command(program, {
      args: [...args, "sh", "-c", 'touch "$0/probe" 2>/dev/null; test ! -e "$0/probe"', dir],
      stdout: "null",
      stderr: "null",
    }).output().catch(() => undefined);
    return probe?.code === 0; // mounted, and even root could not write there
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const WORLDS: Unwritable[] = [
  {
    label: "lock path under a regular file (ENOTDIR)",
    problem: /^Error: Cannot write registry lock .*\/plain-file\/\.sessions\.lock: /,
    options: async (box) => {
      const file = join(box.root, "plain-file");
      await Deno.writeTextFile(file, "not a folder\n");
      return { env: { REGISTRY_LOCK: join(file, ".sessions.lock") } };
    },
    available: () => Promise.resolve(true),
  },
  {
    label: "registry folder on a read-only mount (EROFS)",
    problem: /^Error: Cannot write registry( lock)? .*Read-only file system/,
    options: (box) => Promise.resolve({ prefix: privateMounts(box.socketDir, READ_ONLY) }),
    available: privateMountsWork,
  },
  {
    label: "registry folder on a full filesystem (ENOSPC)",
    problem: /^Error: Cannot write registry .*\.sessions\.json: No space left on device/,
    options: (box) => Promise.resolve({ prefix: privateMounts(box.socketDir, FULL) }),
    available: privateMountsWork,
  },
];

/** The shell prompt of the test session, unique to its pane (tmux trims the blank after it). */
const PROMPT = "unwritable>";

/** A registered live shell `a` on its own socket (outside the registry folder). */
async function world(box: Sandbox): Promise<string> {
  const sock = box.socket("live.sock");
  await box.newSession(sock, "a", ["env", `PS1=${PROMPT} `, "bash", "--norc", "--noprofile"]);
  await waitUntil(async () => (await box.tmux(sock, "capture-pane", "-p")).includes(PROMPT));
  await box.writeSessions({
    a: testEntry(sock, "a:0.0"),
    gone: testEntry(box.socket("gone.sock"), "gone:0.0"),
  });
  return sock;
}

/** Every single-pane look-up, as the issue lists them, and what it must print. */
const LOOKUPS: [ToolName, string[], RegExp][] = [
  ["pane-health", ["-s", "a"], /"status": "healthy"/],
  ["capture-pane", ["-s", "a"], new RegExp(PROMPT)],
  ["wait-for-text", ["-s", "a", "-p", PROMPT, "-T", "10"], /^$/],
  ["safe-send", ["-s", "a", "-c", "echo sent"], /^$/],
  ["run", ["-s", "a", "-c", "echo ran-$((40 + 2))"], /^ran-42\n$/],
];

Deno.test("a registry that can't be written: look-ups work, writers fail cleanly", async (t) => {
  for (const unwritable of WORLDS) {
    const available = await unwritable.available();
    await t.step({
      name: unwritable.label,
      ignore: !available,
      fn: async (t) => {
        await using box = await Sandbox.create();
        const sock = await world(box);
        const options = await unwritable.options(box);
        const before = await Deno.readFile(box.registryFile);
        const run = (tool: ToolName, args: string[]): Promise<GuardedResult> =>
          runGuarded(box, tool, args, { ...options, guardMs: 20_000 });

        await t.step("every look-up succeeds; last_active is left as it was", async () => {
          for (const [tool, args, stdout] of LOOKUPS) {
            const r = await run(tool, args);
            equal(r.code, 0, `${tool}: ${r.stderr}`);
            equal(r.stderr, "", tool);
            assertMatch(r.stdout, stdout, tool);
          }
          assertEquals(await Deno.readFile(box.registryFile), before);
        });

        await t.step("list-sessions and a dry-run cleanup only read: they work", async () => {
          const list = await run("list-sessions", ["--json"]);
          equal(list.code, 0, list.stderr);
          assertMatch(list.stdout, /"total": 2/);
          const dry = await run("cleanup-sessions", ["--dry-run"]);
          equal(dry.code, 0, dry.stderr);
          assertMatch(dry.stdout, /^ {2}- gone \(dead\/missing\/zombie\)$/m);
        });

        await t.step("create-session: exit 1, one line, its new session rolled back", async () => {
          const r = await run("create-session", ["-n", "fresh", "-S", box.socket("new.sock")]);
          assertCleanFailure(r, { code: 1, stderr: unwritable.problem }, "create-session");
          const left = await box.tmuxRaw(box.socket("new.sock"), "has-session", "-t", "=fresh");
          equal(left.code, 1, "no session 'fresh' left behind");
        });

        await t.step("cleanup-sessions: exit 1, one line, nothing removed", async () => {
          const r = await run("cleanup-sessions", []);
          assertCleanFailure(r, { code: 1, stderr: unwritable.problem }, "cleanup-sessions");
        });

        await t.step("kill-session: killed but not deregistered is exit 1", async () => {
          const r = await run("kill-session", ["-s", "a"]);
          equal(r.code, 1, `${r.stdout}${r.stderr}`);
          ok(!/^\s+at |Uncaught/m.test(r.stderr), r.stderr);
          equal((await box.tmuxRaw(sock, "has-session", "-t", "=a")).code, 1, "a was killed");
        });

        assertEquals(await Deno.readFile(box.registryFile), before, "nothing was written");
      },
    });
  }
});

Deno.test("the library: a look-up works, a kill says 'killed, not deregistered'", async () => {
  await using box = await Sandbox.create();
  const sock = await world(box);
  const options = await WORLDS[0].options(box);
  const env = pickToolkitEnv(box.toolEnv(options.env));
  const context = new Context({ env, registry: new Registry({ env }) });
  const before = await Deno.readFile(box.registryFile);
  equal((await paneHealth({ session: "a", context })).status, "healthy");
  const outcome = await killSession({ session: "a", context });
  equal(outcome.status, "killed_not_deregistered");
  ok(outcome.deregisterError instanceof RegistryWriteError, String(outcome.deregisterError));
  assertMatch(outcome.deregisterError.message, /^Cannot write registry lock .*plain-file/);
  equal((await box.tmuxRaw(sock, "has-session", "-t", "=a")).code, 1, "a was killed");
  assertEquals(await Deno.readFile(box.registryFile), before, "the entry is still there");
});
