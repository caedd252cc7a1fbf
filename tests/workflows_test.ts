/**
 * The four workflows of the user's guide (docs/session-lifecycle.md, from
 * the original session-lifecycle guide), run as a user runs them: bash
 * commands typed in a folder whose `./tools/NAME.sh` are the installed shims,
 * with `CLAUDE_TMUX_SOCKET_DIR` and `XDG_STATE_HOME` unset so the registry is
 * where the guide documents it, `~/.local/state/claude-tmux/.sessions.json`
 * (HOME being the sandbox's), and the guide's own `jq` look-ups and raw
 * `tmux -S "$SOCKET" ...` calls. Each workflow also does the same through
 * the new capture-pane.sh, run.sh and kill-session.sh.
 *
 * Where the guide needs what a test machine lacks (pandas, psutil, a
 * huge.csv), the Python is swapped for the standard library; the tool
 * commands are the guide's. Each workflow waits for the prompt after
 * creating a session (the guide's INIT stage).
 */
import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { runProgram, type ToolResult, waitUntil } from "./helpers.ts";
import { Sandbox } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();
const FACTORIAL_100 = "93326215443944152681699238856266700490715968264381621468592963895217" +
  "599993229915608941463976156518286253697920827223758251185210916864000000000000000000000000";

/** A user's folder with the shims in `./tools/`, and a bash to type the guide's commands in. */
class GuideShell {
  private constructor(readonly box: Sandbox, readonly work: string) {}

  static async create(box: Sandbox): Promise<GuideShell> {
    const work = join(box.root, "work");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "scripts/install-shims.ts"), join(work, "tools")],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 0, decoder.decode(out.stderr));
    return new GuideShell(box, work);
  }

  /** The environment the guide assumes: no socket-dir or XDG override. */
  get env(): Record<string, string> {
    return this.box.toolEnv({ CLAUDE_TMUX_SOCKET_DIR: undefined, XDG_STATE_HOME: undefined });
  }

  /** Where the guide says the registry is. */
  get registryFile(): string {
    return join(this.env.HOME, ".local/state/claude-tmux/.sessions.json");
  }

  /** Where the tools put their default socket. */
  get defaultSocket(): string {
    return join(this.env.TMPDIR, "claude-tmux-sockets", "claude.sock");
  }

  /** Runs `script` with bash in the user's folder. */
  sh(script: string): Promise<ToolResult> {
    return runProgram("bash", ["-c", script], { env: this.env, cwd: this.work });
  }

  /** Runs `script` and requires exit 0 with nothing on stderr. */
  async ok(script: string): Promise<string> {
    const r = await this.sh(script);
    equal(r.code, 0, `${script}\nexit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    equal(r.stderr, "", `${script}: nothing on stderr`);
    return r.stdout;
  }

  /** `create-session.sh -n NAME --python`, then the INIT stage: wait for the prompt. */
  async createPython(name: string): Promise<Record<string, unknown>> {
    const created = JSON.parse(await this.ok(`./tools/create-session.sh -n ${name} --python`));
    await this.ok(`./tools/wait-for-text.sh -s ${name} -p ">>>" -T 15`);
    return created;
  }

  /** The registry's session names, read the way the guide would (jq). */
  async registeredNames(): Promise<string[]> {
    const out = await this.ok(
      "jq -r '.sessions | keys[]' ~/.local/state/claude-tmux/.sessions.json",
    );
    return out.split("\n").filter(Boolean);
  }
}

Deno.test("workflow 1: quick Python calculation in an ephemeral session", async (t) => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const sh = await GuideShell.create(box);

  await t.step("1. check no conflicts", async () => {
    equal(await sh.ok("./tools/list-sessions.sh"), "No sessions registered.\n");
  });

  await t.step("2. create the session; the registry is at the guide's path", async () => {
    const created = await sh.createPython("quick-calc");
    assertEquals(
      [created.name, created.socket, created.target, created.type, created.registered],
      ["quick-calc", sh.defaultSocket, "quick-calc:0.0", "python-repl", true],
    );
    const registry = JSON.parse(await Deno.readTextFile(sh.registryFile));
    equal(registry.sessions["quick-calc"].socket, sh.defaultSocket);
  });

  await t.step("3. send the calculation and wait for the prompt", async () => {
    await sh.ok(
      `./tools/safe-send.sh -s quick-calc -c "import math; print(math.factorial(100))" -w ">>>" -T 10`,
    );
  });

  await t.step("4. capture the output with the guide's jq look-up and raw tmux", async () => {
    const out = await sh.ok(`
SOCKET=$(jq -r '.sessions["quick-calc"].socket' ~/.local/state/claude-tmux/.sessions.json)
tmux -S "$SOCKET" capture-pane -p -t quick-calc:0.0 -S -10`);
    // 158 digits on an 80-column pane: wrapped over two rows.
    assertMatch(out.replaceAll("\n", ""), new RegExp(FACTORIAL_100));
  });

  await t.step("4'. capture-pane.sh and run.sh do the same without the look-up", async () => {
    const lines = (await sh.ok("./tools/capture-pane.sh -s quick-calc -n 10 -J")).split("\n");
    equal(lines.includes(FACTORIAL_100), true, lines.join("\n"));
    equal(
      await sh.ok(`./tools/run.sh -s quick-calc -c "print(math.factorial(20))"`),
      "2432902008176640000\n",
    );
  });

  await t.step("5. cleanup: raw tmux kill-session, then cleanup-sessions", async () => {
    await sh.ok(`
SOCKET=$(jq -r '.sessions["quick-calc"].socket' ~/.local/state/claude-tmux/.sessions.json)
tmux -S "$SOCKET" kill-session -t quick-calc`);
    equal(
      await sh.ok("./tools/cleanup-sessions.sh"),
      "Removing 1 session(s):\n  - quick-calc (dead/missing/zombie)\n" +
        "Removed 1 session(s) successfully.\n",
    );
    assertEquals(await sh.registeredNames(), []);
  });
});

Deno.test("workflow 2: long-running analysis in a persistent session", async (t) => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const sh = await GuideShell.create(box);
  const name = "data-analysis-2025-11";
  await Deno.writeTextFile(
    join(sh.work, "large_dataset.csv"),
    "category,value\na,1\nb,2\na,3\nb,4\nc,5\n",
  );

  await t.step("1-2. check, then create with a descriptive name", async () => {
    equal(await sh.ok("./tools/list-sessions.sh"), "No sessions registered.\n");
    await sh.createPython(name);
  });

  await t.step("3. load data (the session starts in the user's folder)", async () => {
    await sh.ok(`./tools/safe-send.sh -s ${name} -c "import csv" -w ">>>"`);
    await sh.ok(
      `./tools/safe-send.sh -s ${name} -c "rows = list(csv.DictReader(open('large_dataset.csv')))" -w ">>>" -T 300`,
    );
  });

  await t.step("4. work interactively; run.sh returns each result", async () => {
    await sh.ok(`./tools/safe-send.sh -s ${name} -c "len(rows)" -w ">>>"`);
    equal(await sh.ok(`./tools/run.sh -s ${name} -c "len(rows)"`), "5\n");
    const groups = "{c: sum(int(r['value']) for r in rows if r['category'] == c) " +
      "for c in sorted({r['category'] for r in rows})}";
    await sh.ok(`./tools/safe-send.sh -s ${name} -c "${groups}" -w ">>>"`);
    assertMatch(
      await sh.ok(`./tools/capture-pane.sh -s ${name} -n 5 -J`),
      /^\{'a': 4, 'b': 6, 'c': 5\}$/m,
    );
  });

  await t.step("5. check health periodically", async () => {
    const health = JSON.parse(await sh.ok(`./tools/pane-health.sh -s ${name}`));
    equal(health.status, "healthy");
    equal(
      await sh.ok(`./tools/pane-health.sh -s ${name} --format text`),
      `Pane ${name}:0.0 is healthy (PID: ${health.pid}, process running)\n`,
    );
  });

  await t.step("6. verify, kill with the guide's one-liner, clean up", async () => {
    const table = await sh.ok("./tools/list-sessions.sh");
    // Names are cut to 20 characters in the table, as in the original.
    assertMatch(
      table,
      /^data-analysis-2025-1 claude\.sock {10}data-analysis-2025-1 alive {6}\d+ /m,
    );
    assertMatch(table, /^Total: 1 \| Alive: 1 \| Dead: 0$/m);
    await sh.ok(
      `tmux -S "$(jq -r '.sessions["${name}"].socket' ~/.local/state/claude-tmux/.sessions.json)" kill-session -t ${name}`,
    );
    assertMatch(await sh.ok("./tools/cleanup-sessions.sh"), /^ {2}- data-analysis-2025-11 \(dead/m);
    assertEquals(await sh.registeredNames(), []);
  });
});

Deno.test("workflow 3: recovering from a crashed session", async (t) => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const sh = await GuideShell.create(box);

  // The crash: a session whose pane stays on screen after its process died.
  await sh.createPython("crashed-session");
  await sh.ok(`
SOCKET=$(jq -r '.sessions["crashed-session"].socket' ~/.local/state/claude-tmux/.sessions.json)
tmux -S "$SOCKET" set-option -t crashed-session remain-on-exit on`);
  await sh.ok(
    `./tools/safe-send.sh -s crashed-session -c "print('last words before the crash')" -w ">>>"`,
  );
  await sh.ok(`./tools/safe-send.sh -s crashed-session -c "import os; os._exit(3)"`);
  await waitUntil(
    async () => (await sh.sh("./tools/pane-health.sh -s crashed-session")).code === 1,
    {
      message: "the pane to be dead",
    },
  );

  await t.step("1. list-sessions shows it dead", async () => {
    assertMatch(
      await sh.ok("./tools/list-sessions.sh"),
      /^crashed-session +claude\.sock +\S+ +dead /m,
    );
  });

  await t.step("2. diagnose: pane-health exit 1 = dead", async () => {
    const r = await sh.sh("./tools/pane-health.sh -s crashed-session --format text");
    assertEquals(
      [r.code, r.stdout, r.stderr],
      [1, "Pane crashed-session:0.0 is dead (marked as dead by tmux)\n", ""],
    );
  });

  await t.step("3. capture the remaining output, the guide's way and capture-pane.sh", async () => {
    equal(
      await sh.ok(`
SOCKET=$(jq -r '.sessions["crashed-session"].socket' ~/.local/state/claude-tmux/.sessions.json)
tmux -S "$SOCKET" capture-pane -p -t crashed-session:0.0 -S -200 > crash-output.txt 2>/dev/null || echo "Pane unavailable"`),
      "",
    );
    assertMatch(
      await Deno.readTextFile(join(sh.work, "crash-output.txt")),
      /^last words before the crash$/m,
    );
    assertMatch(
      await sh.ok("./tools/capture-pane.sh -s crashed-session -a"),
      /^last words before the crash$/m,
    );
  });

  await t.step("4. cleanup-sessions removes the dead entry", async () => {
    equal(
      await sh.ok("./tools/cleanup-sessions.sh"),
      "Removing 1 session(s):\n  - crashed-session (dead/missing/zombie)\n" +
        "Removed 1 session(s) successfully.\n",
    );
  });

  await t.step("the guide's capture says 'Pane unavailable' once the session is gone", async () => {
    await sh.ok(`tmux -S "${sh.defaultSocket}" kill-session -t crashed-session`);
    equal(
      await sh.ok(`
SOCKET="${sh.defaultSocket}"
tmux -S "$SOCKET" capture-pane -p -t crashed-session:0.0 -S -200 > crash-output.txt 2>/dev/null || echo "Pane unavailable"`),
      "Pane unavailable\n",
    );
  });

  await t.step("5-6. create a replacement and resume work", async () => {
    await sh.createPython("crashed-session-recovery");
    await sh.ok(
      `./tools/safe-send.sh -s crashed-session-recovery -c "# Resuming from crash..." -w ">>>"`,
    );
    assertEquals(await sh.registeredNames(), ["crashed-session-recovery"]);
  });
});

Deno.test("workflow 4: a multi-session workspace with parallel tasks", async (t) => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const sh = await GuideShell.create(box);
  const names = ["loader-session", "analysis-session", "monitor-session"];

  await t.step("1-2. check, then create three named sessions", async () => {
    equal(await sh.ok("./tools/list-sessions.sh"), "No sessions registered.\n");
    await Promise.all(names.map((name) => sh.createPython(name)));
    assertEquals(await sh.registeredNames(), [...names].sort());
  });

  await t.step("3. start parallel work (two sends in the background)", async () => {
    const out = await sh.ok(`
./tools/safe-send.sh -s loader-session -c "data = [i * i for i in range(200000)]" -w ">>>" -T 600 &
loader=$!
./tools/safe-send.sh -s analysis-session -c "results = sum(range(1000))" -w ">>>" -T 300 &
analysis=$!
./tools/safe-send.sh -s monitor-session -c "import os; os.getloadavg()" -w ">>>"
monitor=$?
wait $loader; loader=$?
wait $analysis; analysis=$?
echo "$loader $analysis $monitor"`);
    equal(out, "0 0 0\n");
    equal(await sh.ok(`./tools/run.sh -s loader-session -c "len(data)"`), "200000\n");
    equal(await sh.ok(`./tools/run.sh -s analysis-session -c "results"`), "499500\n");
  });

  await t.step("4. check all sessions", async () => {
    const listed = JSON.parse(await sh.ok("./tools/list-sessions.sh --json"));
    assertEquals([listed.total, listed.alive, listed.dead], [3, 3, 0]);
    assertMatch(await sh.ok("./tools/list-sessions.sh"), /^Total: 3 \| Alive: 3 \| Dead: 0$/m);
  });

  await t.step(
    "5. cleanup-sessions --all empties the registry but leaves tmux running",
    async () => {
      equal(
        await sh.ok("./tools/cleanup-sessions.sh --all"),
        "Removing 3 session(s):\n" +
          "  - analysis-session (all sessions mode)\n" +
          "  - loader-session (all sessions mode)\n" +
          "  - monitor-session (all sessions mode)\n" +
          "Removed 3 session(s) successfully.\n",
      );
      assertEquals(await sh.registeredNames(), []);
      const found = await sh.ok("./tools/find-sessions.sh -A");
      for (const name of names) assertMatch(found, new RegExp(`^  - ${name} \\(detached`, "m"));
    },
  );

  await t.step("kill-session.sh ends the now unregistered sessions", async () => {
    for (const name of names) {
      assertMatch(
        await sh.ok(`./tools/kill-session.sh -S "${sh.defaultSocket}" -t ${name}`),
        new RegExp(`^Session '${name}' fully removed$`, "m"),
      );
    }
    const r = await sh.sh("./tools/find-sessions.sh -A");
    equal(r.code, 1);
    assertMatch(r.stderr, /No tmux server found on socket path/);
  });
});

Deno.test("the quick-start demo runs workflow 1 and leaves nothing behind", async () => {
  await using box = await Sandbox.create({ socketDirEnv: false });
  const out = await new Deno.Command("bash", {
    args: [join(ROOT, "scripts/demo.sh")],
    env: box.env,
    clearEnv: true,
    cwd: box.root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = decoder.decode(out.stdout);
  equal(out.code, 0, `${stdout}\n${decoder.decode(out.stderr)}`);
  assertMatch(stdout, new RegExp(`^${FACTORIAL_100}$`, "m"));
  assertMatch(stdout, /^2432902008176640000$/m);
  assertMatch(stdout, /^Session 'quick-calc' fully removed$/m);
  assertMatch(stdout, /^Demo passed\. /m);
  // Its temp world is gone, and it never used the user's registry or tmux.
  for (const dir of ["tmp", "home", "state", "tmux-tmp"]) {
    assertEquals([...Deno.readDirSync(join(box.root, dir))], [], `${dir} is empty`);
  }
  await waitUntil(() => processesMentioning(join(box.root, "tmp")).length === 0, {
    message: "the demo's tmux server to exit",
  });
});

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(text)) pids.push(+e.name);
    } catch { /* exited meanwhile */ }
  }
  return pids;
}
