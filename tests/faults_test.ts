/**
 * Faults: a registry writer killed at random moments never leaves a torn
 * registry and its temp files are removed by the next writer; a tmux server
 * killed during a wait, a pane that dies during a send and a tmux that hangs
 * each end every tool with its documented code and a clear message, within
 * the tool's bound, and no tool leaves a tmux process behind.
 * (tests/tmux_test.ts proves the runner's bound in-process; this file drives
 * the tools.)
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { join } from "node:path";
import { emptyRegistry, parseRegistry, type RegistryData } from "../lib/registry.ts";
import { TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import {
  assertCleanFailure,
  clientsOf,
  figure,
  type GuardedResult,
  pgrepF,
  processAlive,
  runGuarded,
  seededRandom,
  spawnGuarded,
} from "./fixtures/guarded_run.ts";
import { json, Sandbox, waitUntil } from "./helpers.ts";

const WRITER = new URL("./fixtures/registry_writer.ts", import.meta.url).pathname;
const BASH = ["bash", "--norc", "--noprofile"];
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `FAULT_SEED` (a whole number) when set, else a fresh seed from the clock. */
function faultSeed(): number {
  const text = Deno.env.get("FAULT_SEED");
  if (text === undefined || text === "") return Date.now() >>> 0;
  if (!/^\d+$/.test(text)) throw new Error(`FAULT_SEED must be a whole number, not ${text}`);
  return Number(text) >>> 0;
}

Deno.test("writers SIGKILLed at random moments in 200+ writes never tear the registry", async () => {
  await using box = await Sandbox.create();
  await Deno.mkdir(box.socketDir, { mode: 0o700 });
  // FAULT_SEED=N repeats a run; the seed is printed so a failing run can be repeated.
  const seed = faultSeed();
  console.log(`faults: random seed ${seed} (set FAULT_SEED=${seed} to repeat this run)`);
  const random = seededRandom(seed);
  const file = box.registryFile;
  const tempOf = async (pid?: number) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(box.socketDir)) {
      if (/^\.sessions\.json\.tmp\.\d+\./.test(e.name)) {
        if (pid === undefined || e.name.startsWith(`.sessions.json.tmp.${pid}.`)) {
          names.push(e.name);
        }
      }
    }
    return names;
  };
  const acked = new Set<string>();
  let kills = 0;
  let midWrite = 0;
  let cleaned = 0;
  let stale: string[] = []; // temp files of killed writers, not yet cleaned up
  const started = performance.now();

  // At least 200 acknowledged writes, 40 kills and 5 kills inside a write.
  for (let round = 0; acked.size < 200 || kills < 40 || midWrite < 5; round++) {
    ok(round < 400, `enough kills inside a write within 400 rounds (seed ${seed})`);
    const at = `seed ${seed}, round ${round}`;
    const writer = spawnGuarded(box, "create-session", [`w${round}`, "0"], { script: WRITER });
    const pid = writer.child.pid;
    // Let 0 to 6 writes through (0: kill during start-up or the first write)...
    const through = Math.floor(random() * 7);
    await writer.waitLines(1 + through);
    if (stale.length > 0 && through > 0) {
      // ...the writer after a kill has written: the dead writer's temp files are gone.
      const left = (await tempOf()).filter((name) => stale.includes(name));
      assertEquals(left, [], `the next writer removed the dead writer's temp files (${at})`);
      cleaned += stale.length;
      stale = [];
    }
    // ...then stop it at a random moment; every third round, keep trying until the
    // moment falls inside a write (its temp file exists but is not renamed yet).
    await delay(random() * 3);
    Deno.kill(pid, "SIGSTOP");
    for (let tries = 0; round % 3 === 0 && tries < 500; tries++) {
      if ((await tempOf(pid)).length > 0) break;
      Deno.kill(pid, "SIGCONT");
      await delay(random() * 2);
      Deno.kill(pid, "SIGSTOP");
    }
    const temps = await tempOf(pid);
    writer.child.kill("SIGKILL");
    const r = await writer.result;
    kills++;
    equal(r.code, 137, `killed (${at}): ${r.stderr}`);

    // The registry parses and holds every write the writer said was done;
    // at most one more (renamed into place just before the kill).
    const data = await readRegistry(file);
    const mine = writer.lines.filter((l) => l.startsWith("added ")).map((l) => l.slice(6));
    for (const name of mine) acked.add(name);
    for (const name of acked) ok(Object.hasOwn(data.sessions, name), `${name} kept (${at})`);
    const unacked = Object.keys(data.sessions).filter((n) => !acked.has(n));
    ok(unacked.length <= 1, `at most the cut-short write is extra: ${unacked} (${at})`);
    for (const name of unacked) acked.add(name); // on disk: it must stay
    if (temps.length > 0) {
      midWrite++;
      stale.push(...temps);
    }
  }

  // One more writer cleans whatever the last kills left.
  const last = await runGuarded(box, "create-session", ["final", "1"], { script: WRITER });
  equal(last.code, 0, last.stderr);
  cleaned += stale.length;
  assertEquals(await tempOf(), [], "no temp file is left");
  const data = parseRegistry(await Deno.readTextFile(file), file);
  for (const name of acked) ok(Object.hasOwn(data.sessions, name), `${name} kept`);
  equal((await Deno.stat(file)).mode! & 0o777, 0o600);
  figure(
    `kill: ${acked.size} acknowledged writes, ${kills} SIGKILLs (${midWrite} inside a write, ` +
      `leaving ${cleaned} temp files, all removed by the next writer), 0 lost, 0 torn, ` +
      `${Math.round(performance.now() - started)} ms, seed ${seed}`,
  );
});

/**
 * The registry as the tools read it: a missing file is an empty registry (a
 * first writer killed before its first rename leaves none).
 */
async function readRegistry(file: string): Promise<RegistryData> {
  try {
    return parseRegistry(await Deno.readTextFile(file), file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return emptyRegistry();
    throw error;
  }
}

/** The control-mode clients (and any other tmux client) of `socket` still running. */
async function tmuxClientsOn(socket: string): Promise<number[]> {
  const pids = await pgrepF(`-S ${socket} `);
  // The server itself was started by a `tmux -S SOCKET new-session` command line: not a client.
  const clients: number[] = [];
  for (const pid of pids) {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
    if (/\0(-N\0)?-C\0|attach/.test(cmdline)) clients.push(pid);
  }
  return clients;
}

Deno.test("a tmux server killed during a wait ends each waiting tool", async (t) => {
  await using box = await Sandbox.create();
  const cases: {
    tool: ToolName;
    args: (sock: string) => string[];
    code: number;
    stderr: RegExp;
  }[] = [
    {
      tool: "wait-for-text",
      args: (sock) => ["-S", sock, "-t", "w", "-p", "never", "-T", "60"],
      code: 1,
      stderr:
        /^Error: Stopped waiting for pattern: never \(the tmux server is no longer running\)\n$/,
    },
    {
      tool: "safe-send",
      args: (sock) => ["-S", sock, "-t", "w", "-c", "sleep 60", "-w", "never", "-T", "60"],
      code: 3,
      stderr:
        /^Error: Stopped waiting for pattern 'never' \(the tmux server is no longer running\)\n$/,
    },
    {
      tool: "run",
      args: (sock) => ["-S", sock, "-t", "w", "-c", "sleep 60", "-T", "60"],
      code: 3,
      stderr: /^Error: Pane w is gone \(the tmux server is no longer running\)\n$/,
    },
  ];
  for (const { tool, args, code, stderr } of cases) {
    await t.step(`${tool}: exit ${code}`, async () => {
      const sock = box.socket(`${tool}.sock`);
      await box.newSession(sock, "w", BASH);
      const waiting = spawnGuarded(box, tool, args(sock), { guardMs: 20_000 });
      await waitUntil(async () => (await clientsOf(box, sock)).trim() !== "", {
        timeoutMs: 10_000,
        message: `${tool} to attach its control client`,
      });
      const killedAt = performance.now();
      await box.tmux(sock, "kill-server");
      const r = await waiting.result;
      figure(`server killed: ${tool} ended ${Math.round(performance.now() - killedAt)} ms later`);
      assertCleanFailure(r, { code, stderr }, tool);
      assertEquals(await tmuxClientsOn(sock), [], "no tmux client of the tool is left");
    });
  }
});

/**
 * A `tmux` that passes every call to the real one, except that just before
 * the first call that types (send-keys or paste-buffer) it kills `pane`.
 */
async function paneKillingTmux(box: Sandbox, socket: string, pane: string): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: box.root, prefix: "killer-" });
  const which = await new Deno.Command("sh", { args: ["-c", "command -v tmux"] }).output();
  const real = new TextDecoder().decode(which.stdout).trim();
  await Deno.writeTextFile(
    join(dir, "tmux"),
    `#!/bin/sh
case " $* " in
  *" send-keys "*|*" paste-buffer "*)
    if mkdir '${dir}/fired' 2>/dev/null; then '${real}' -S '${socket}' kill-pane -t '${pane}'; fi;;
esac
exec '${real}' "$@"
`,
    { mode: 0o755 },
  );
  return `${dir}:${box.env.PATH}`;
}

Deno.test("a pane that dies during a send ends each sending tool", async (t) => {
  await using box = await Sandbox.create();
  const sock = box.socket("send.sock");
  await box.newSession(sock, "keep", BASH); // the server outlives the panes
  const cases: { label: string; tool: ToolName; args: string[]; code: number; stderr: RegExp }[] = [
    {
      label: "safe-send keys",
      tool: "safe-send",
      args: ["-c", "echo hi", "-r", "2", "-i", "0.05"],
      code: 1,
      stderr: /^Error: Failed to send command after 2 attempts\n$/,
    },
    {
      label: "safe-send -m paste",
      tool: "safe-send",
      args: ["-m", "-c", "print(1)", "-r", "2", "-i", "0.05"],
      code: 1,
      stderr: /^Error: Failed to send command after 2 attempts\n$/,
    },
    {
      label: "safe-send -w",
      tool: "safe-send",
      args: ["-c", "echo hi", "-w", "hi", "-r", "2", "-i", "0.05"],
      code: 1,
      stderr: /^Error: Failed to send command after 2 attempts\n$/,
    },
    {
      label: "run",
      tool: "run",
      args: ["-c", "echo hi"],
      code: 3,
      stderr: /^Error: Failed to send command after 1 attempts?\n$/,
    },
  ];
  for (const { label, tool, args, code, stderr } of cases) {
    await t.step(`${label}: exit ${code}`, async () => {
      const pane = (await box.tmux(
        sock,
        "split-window",
        "-d",
        "-P",
        "-F",
        "#{pane_id}",
        "-t",
        "=keep:",
        ...BASH,
      )).trim();
      const path = await paneKillingTmux(box, sock, pane);
      const r = await runGuarded(box, tool, ["-S", sock, "-t", pane, ...args], {
        env: { PATH: path },
        guardMs: 20_000,
      });
      assertCleanFailure(r, { code, stderr }, label);
      const panes = await box.tmux(sock, "list-panes", "-a", "-F", "#{pane_id}");
      equal(panes.split("\n").includes(pane), false, "the pane was killed mid-send");
      equal(await clientsOf(box, sock), "", "no client left attached");
      equal((await box.tmux(sock, "list-buffers")).trim(), "", "no paste buffer left behind");
    });
  }
});

/** Arguments of each tool that make it call tmux (the registry has one entry on `sock`). */
const HANG_CASES: Record<
  ToolName,
  { args: (sock: string) => string[]; code: number; stderr: RegExp; stdout?: RegExp }
> = {
  "create-session": {
    args: (sock) => ["-n", "hang", "-S", sock],
    code: 3,
    stderr:
      /^Error: Failed to create tmux session 'hang': tmux new-session did not answer within 5000 ms\n$/,
  },
  "list-sessions": {
    args: () => ["--json"],
    code: 0,
    stderr: /^$/,
    stdout: /"status": "unknown"/,
  },
  "pane-health": {
    args: (sock) => ["-S", sock, "-t", "x"],
    code: 1,
    stderr: /^Error: tmux list-panes did not answer within 5000 ms\n$/,
  },
  "kill-session": {
    // Not the registered "x": its entry would be removed (documented), changing the registry.
    args: (sock) => ["-S", sock, "-t", "other"],
    code: 1,
    stderr: new RegExp(
      "^ {2}\u2717 Failed to kill tmux session \\(tmux kill-session did not answer within " +
        "5000 ms\\)\nWarning: Partial removal of session 'other'\n$",
    ),
    stdout: /^Killing tmux session: other\n/,
  },
  "cleanup-sessions": {
    args: () => [],
    code: 0,
    stderr: /^$/,
    stdout: /^No sessions to clean up\.\n$/,
  },
  "find-sessions": {
    args: (sock) => ["-S", sock],
    code: 1,
    stderr:
      /^Cannot list sessions on socket path '.*': tmux list-sessions did not answer within 5000 ms\n$/,
  },
  "safe-send": {
    args: (sock) => ["-S", sock, "-t", "x", "-c", "hi"],
    code: 1,
    stderr: /^Error: tmux list-panes did not answer within 5000 ms\n$/,
  },
  "wait-for-text": {
    args: (sock) => ["-S", sock, "-t", "x", "-p", "y"],
    code: 1,
    stderr: /^Error: tmux list-panes did not answer within 5000 ms\n$/,
  },
  "capture-pane": {
    args: (sock) => ["-S", sock, "-t", "x"],
    code: 1,
    stderr: /^Error: tmux list-panes did not answer within 5000 ms\n$/,
  },
  "run": {
    args: (sock) => ["-S", sock, "-t", "x", "-c", "hi"],
    code: 3,
    stderr: /^Error: tmux list-panes did not answer within 5000 ms\n$/,
  },
};

Deno.test("a tmux that hangs: every tool ends on its own within its bound", async () => {
  await using box = await Sandbox.create();
  const fake = join(box.root, "hung-bin");
  const pids = join(fake, "pids");
  await Deno.mkdir(pids, { recursive: true });
  // Each call records its pid, then becomes a sleep that outlives any bound.
  await Deno.writeTextFile(
    join(fake, "tmux"),
    `#!/bin/sh\necho $$ > '${pids}'/$$\nexec sleep 600\n`,
    { mode: 0o755 },
  );
  const sock = join(box.root, "hung.sock");
  await box.writeRegistry(JSON.stringify({
    sessions: {
      x: {
        socket: sock,
        target: "x:0.0",
        type: "shell",
        created_at: "2025-11-24T16:00:00Z",
        last_active: "2025-11-24T16:00:00Z",
      },
    },
    version: "1.0",
  }));
  const before = await Deno.readFile(box.registryFile);

  // All at once: each waits out one 5 s bound.
  const took: number[] = [];
  const results: [ToolName, GuardedResult][] = await Promise.all(
    TOOL_NAMES.map(async (tool) => {
      const started = performance.now();
      const r = await runGuarded(box, tool, HANG_CASES[tool].args(sock), {
        env: { PATH: `${fake}:${box.env.PATH}` },
        guardMs: 40_000,
      });
      took.push(performance.now() - started);
      return [tool, r] as [ToolName, GuardedResult];
    }),
  );
  for (const [tool, r] of results) {
    const { code, stderr, stdout } = HANG_CASES[tool];
    const label = `${tool}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
    equal(r.guardKilled, false, `ended on its own: ${label}`);
    equal(r.code, code, label);
    assertMatch(r.stderr, stderr, label);
    ok(!/^\s+at /m.test(r.stderr), `no stack trace: ${label}`);
    if (stdout) assertMatch(r.stdout, stdout, label);
  }
  equal(json<{ total: number }>(results.find(([t]) => t === "list-sessions")![1]).total, 1);
  assertEquals(await Deno.readFile(box.registryFile), before, "the registry is unchanged");

  // Every hung tmux the tools started was killed: none is left running.
  const started: number[] = [];
  for await (const e of Deno.readDir(pids)) started.push(Number(e.name));
  ok(started.length >= TOOL_NAMES.length, `each tool called tmux (${started.length} calls)`);
  for (const pid of started) {
    await waitUntil(async () => !(await processAlive(pid)), { message: `hung tmux ${pid} gone` });
  }
  assertEquals(await pgrepF(`${fake}/tmux`), []);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  figure(
    `hang: ${TOOL_NAMES.length} tools, ${started.length} hung tmux calls, all killed at the ` +
      `5 s bound; the tools ended after ${seconds(Math.min(...took))}-${
        seconds(Math.max(...took))
      } s`,
  );
});
