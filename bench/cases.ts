/**
 * What the benchmark measures. Each case is one line of {@link CASES}; a
 * case whose tool does not exist yet (or has no declared permissions) is
 * skipped with a line saying so. Adding a tool is one line:
 *
 *     tool("capture-pane", ["-s", "bench-shell"]),
 *
 * Fixture sessions on the default socket (registered in the default
 * registry): `bench-shell` (bash), `bench-py` (a Python REPL), `bench-wait`
 * (a pane the bench prints into). `sessions: N` selects instead a world of
 * N registered sessions `s0001`... on their own server (every tenth missing).
 *
 * @module
 */
import { PANE_FORMAT } from "../lib/panes.ts";
import type { BenchWorld, CommandLine } from "./world.ts";

/** The session counts of the scaling cases. */
export const SESSION_COUNTS = [1, 10, 50, 200, 1000] as const;

/** Peak memory goal per tool, MiB. */
export const MEMORY_GOAL_MIB = 60;

/** What a case's hooks and arguments may use. */
export interface RunContext {
  /** The private world. */
  world: BenchWorld;
  /** A number unique to this run (for fresh names and markers). */
  seq: number;
}

/** One measured case. */
export interface BenchCase {
  /** Label in the table and results (unique). */
  id: string;
  /** The tool (`tools/NAME.ts`), or undefined for a floor. */
  tool?: string;
  /** Floors: the command line to time. */
  floor?: (world: BenchWorld) => CommandLine;
  /** The tool's arguments. */
  args?: (ctx: RunContext) => string[];
  /** Registered-session world to run in; the fixture registry when undefined. */
  sessions?: number;
  /** The exit code that means the run worked (default 0). */
  expectExit?: number;
  /** Untimed work before each run. */
  before?: (ctx: RunContext) => Promise<void>;
  /** Untimed work after each run (also after a failed one). */
  after?: (ctx: RunContext) => Promise<void>;
  /**
   * Reaction case: `trigger` makes the awaited text appear `delayMs` after
   * the tool starts; the measured figure is the time from then to exit.
   */
  reaction?: { delayMs: number; trigger: (ctx: RunContext) => Promise<void> };
  /** Goal for the median (or `goalStat`), ms. */
  goalMs?: number;
  /** The figure `goalMs` is for (default the median). */
  goalStat?: "median" | "p95";
  /** Peak memory goal of this case, MiB (default {@link MEMORY_GOAL_MIB}, judged per tool). */
  memoryGoalMiB?: number;
  /**
   * Goal for the median as a multiple of the `base` case's median, measured in
   * the same run; `floors` names the tmux floors of the two worlds, whose
   * difference (what tmux alone adds) is shown beside the ratio.
   */
  ratioGoal?: { base: string; max: number; floors?: [string, string] };
  /** Where the tool's script is (`--variant`: `{tool}` for its name); `tools/` when undefined. */
  scripts?: string;
  /** The `--variant` name that goes with `scripts`. */
  variant?: string;
  /**
   * Run the tool through its installed shim (`NAME.sh`) instead of `deno run`:
   * one running the bundle (`dist/NAME.js`, the default install) or `tools/NAME.ts`.
   */
  viaShim?: "bundled" | "modular";
}

/** A tool case: `tool(name, args)` with fixed arguments, or a function of the run. */
export function tool(
  name: string,
  args: string[] | ((ctx: RunContext) => string[]),
  options: Partial<BenchCase> = {},
): BenchCase {
  const shown = Array.isArray(args) ? args.join(" ") : "";
  return {
    id: options.id ?? `${name} ${shown}`.trim() +
        (options.sessions === undefined ? "" : ` @${options.sessions}`),
    tool: name,
    args: Array.isArray(args) ? () => args : args,
    ...options,
  };
}

/** A floor case: a command that is not one of the tools. */
function floor(
  id: string,
  line: (world: BenchWorld) => CommandLine,
  sessions?: number,
): BenchCase {
  return sessions === undefined ? { id, floor: line } : { id, floor: line, sessions };
}

const pyValue = (seq: number) => 100000 + seq;

/**
 * Reaction case: a wait whose pane is killed 300 ms after the tool starts;
 * the figure is the time from the kill to the tool's exit (the tests only
 * check that the kill, not the 10 s timeout, ended it).
 */
function paneKilledDuringWait(name: string, args: string[], exit: number): BenchCase {
  const victim = (c: RunContext) => `bench-victim-${c.seq}`;
  const kill = (c: RunContext) =>
    c.world.tmuxQuiet(c.world.defaultSocket, "kill-session", "-t", `=${victim(c)}`);
  return tool(name, (c) => ["-S", c.world.defaultSocket, "-t", victim(c), ...args, "-T", "10"], {
    id: `${name} reaction to its pane killed during the wait`,
    goalMs: 1000,
    expectExit: exit,
    before: async (c) => {
      await c.world.tmux(c.world.defaultSocket, "new-session", "-d", "-s", victim(c), "cat");
    },
    reaction: { delayMs: 300, trigger: kill },
    after: kill,
  });
}

/** Every case, in table order. */
export const CASES: BenchCase[] = [
  floor(
    "floor: tmux display -p",
    (w) => w.tmuxCommand(["-S", w.world(1).socket, "display", "-p", "#{pid}"]),
  ),
  floor("floor: deno run empty.ts", (w) => w.scriptCommand("empty.ts", [])),
  floor(
    "floor: deno + 1 tmux call",
    (w) => w.scriptCommand("one-tmux-call.ts", ["--allow-run=tmux"], [w.world(1).socket]),
  ),
  // What tmux alone takes to list N sessions' panes with the fields the tools ask for.
  ...SESSION_COUNTS.map((n) =>
    floor(
      `floor: tmux list-panes -a @${n}`,
      (w) => w.tmuxCommand(["-S", w.world(n).socket, "list-panes", "-a", "-F", PANE_FORMAT]),
      n,
    )
  ),
  ...SESSION_COUNTS.map((n) =>
    tool("list-sessions", ["--json"], {
      sessions: n,
      goalMs: n === 50 ? 40 : n === 200 ? 60 : undefined,
      ratioGoal: n === 1000
        ? {
          base: "list-sessions --json @1",
          max: 1.5,
          floors: ["floor: tmux list-panes -a @1000", "floor: tmux list-panes -a @1"],
        }
        : undefined,
    })
  ),
  ...SESSION_COUNTS.map((n) => tool("cleanup-sessions", ["--dry-run"], { sessions: n })),
  tool("pane-health", ["-s", "s0001"], { sessions: 1, goalMs: 30 }),
  tool("pane-health", (c) => ["-S", c.world.world(1).socket, "-t", "s0001:0.0"], {
    id: "pane-health -S SOCK -t s0001:0.0",
    goalMs: 30,
  }),
  // The shims as installed (bundles) against --modular ones, interleaved: start-up A/B.
  ...(["bundled", "modular"] as const).flatMap((form) => [
    tool("pane-health", (c) => ["-S", c.world.world(1).socket, "-t", "s0001:0.0"], {
      id: `pane-health -S SOCK -t s0001:0.0 (via NAME.sh shim, ${form})`,
      viaShim: form,
    }),
    tool("list-sessions", ["--json"], {
      id: `list-sessions --json (via NAME.sh shim, ${form})`,
      viaShim: form,
    }),
  ]),
  tool("create-session", (c) => ["-n", `bench-new-${c.seq}`], {
    id: "create-session -n NAME (server up)",
    goalMs: 50,
    after: async (c) => {
      await c.world.tmuxQuiet(c.world.defaultSocket, "kill-session", "-t", `=bench-new-${c.seq}`);
      await c.world.restoreFixtureRegistry();
    },
  }),
  tool("create-session", (c) => ["-n", `bench-cold-${c.seq}`, "-S", c.world.coldSocket], {
    id: "create-session -n NAME -S NEW (server start)",
    before: (c) => c.world.killColdServer(),
    after: async (c) => {
      await c.world.killColdServer();
      await c.world.restoreFixtureRegistry();
    },
  }),
  tool("kill-session", (c) => ["-s", `bench-kill-${c.seq}`], {
    id: "kill-session -s NAME",
    before: async (c) => {
      const name = `bench-kill-${c.seq}`;
      const sock = c.world.defaultSocket;
      await c.world.tmux(sock, "new-session", "-d", "-s", name, "cat");
      const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
      await c.world.restoreFixtureRegistry({
        [name]: {
          socket: sock,
          target: `${name}:0.0`,
          type: "shell",
          created_at: now,
          last_active: now,
        },
      });
    },
    after: async (c) => {
      await c.world.tmuxQuiet(c.world.defaultSocket, "kill-session", "-t", `=bench-kill-${c.seq}`);
      await c.world.restoreFixtureRegistry();
    },
  }),
  tool("find-sessions", ["-A"]),
  tool("safe-send", ["-s", "bench-shell", "-c", "true"]),
  tool(
    "safe-send",
    (
      c,
    ) => [
      "-s",
      "bench-py",
      "-c",
      `print(${pyValue(c.seq)}+1)`,
      "-w",
      `^${pyValue(c.seq) + 1}$`,
      "-T",
      "10",
    ],
    {
      id: "safe-send -s bench-py -c 'print(N+1)' -w '^N+1$' (round trip)",
    },
  ),
  tool("wait-for-text", (c) => ["-s", "bench-wait", "-p", `BENCH-${c.seq}-READY`, "-T", "10"], {
    id: "wait-for-text reaction (text 300 ms after start)",
    goalMs: 30,
    reaction: {
      delayMs: 300,
      trigger: (c) =>
        Deno.writeTextFile(c.world.waitPaneTty, `BENCH-${c.seq}-READY\r\n`, { append: true }),
    },
  }),
  paneKilledDuringWait("wait-for-text", ["-p", "never"], 1),
  paneKilledDuringWait("safe-send", ["-c", "true", "-w", "never"], 3),
  // Waits that fit the program (issue 15): the same reaction as the plain wait is the goal.
  tool(
    "wait-for-text",
    (c) => ["-s", "bench-wait", "--new", "-p", `BENCH-${c.seq}-NEW`, "-T", "10"],
    {
      id: "wait-for-text --new reaction (text 600 ms after start)",
      goalMs: 10,
      reaction: {
        // Later than the plain wait's 300 ms: text that comes before the tool started is not new.
        delayMs: 600,
        trigger: (c) =>
          Deno.writeTextFile(c.world.waitPaneTty, `BENCH-${c.seq}-NEW\r\n`, { append: true }),
      },
    },
  ),
  tool(
    "wait-for-text",
    (
      c,
    ) => ["-s", "bench-wait", "--new", "-p", "NEVER", "--fail", `BENCH-${c.seq}-FAIL`, "-T", "10"],
    {
      id: "wait-for-text --new --fail reaction (failure 600 ms after start)",
      goalMs: 10,
      expectExit: 5,
      reaction: {
        delayMs: 600,
        trigger: (c) =>
          Deno.writeTextFile(c.world.waitPaneTty, `BENCH-${c.seq}-FAIL\r\n`, { append: true }),
      },
    },
  ),
  tool("wait-for-text", ["-s", "bench-wait", "--idle", "0.3", "-T", "10"], {
    id: "wait-for-text --idle 0.3 (last output -> exit)",
    // The goal: within 0.3 s + 30 ms of the last output, at p95.
    goalMs: 330,
    goalStat: "p95",
    reaction: {
      // Output every 50 ms from the start for 0.5 s: the figure is from the last line to the exit.
      delayMs: 0,
      trigger: async (c) => {
        for (let i = 0; i < 10; i++) {
          await Deno.writeTextFile(c.world.waitPaneTty, `tick ${c.seq}.${i}\r\n`, { append: true });
          if (i < 9) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      },
    },
  }),
  tool("run", ["-s", "bench-run", "--", "true"], { id: "run -s bench-run -- true", goalMs: 60 }),
  // Output integrity: every line back, however much; next to what `seq` alone takes.
  floor(
    "floor: seq 1 100000",
    (w) => ({ ...w.tmuxCommand([]), cmd: "seq", args: ["1", "100000"] }),
  ),
  tool("run", ["-s", "bench-run", "-c", "seq 1 100000"], {
    id: "run -s bench-run -c 'seq 1 100000' (all lines)",
    goalMs: 400,
    // It holds the 100,000 lines it prints (about 7 MB of text as lines).
    memoryGoalMiB: 100,
  }),
  floor(
    "floor: seq 1 1000000",
    (w) => ({ ...w.tmuxCommand([]), cmd: "seq", args: ["1", "1000000"] }),
  ),
  tool("run", ["-s", "bench-run", "-T", "60", "-c", "seq 1 1000000"], {
    id: "run -s bench-run -c 'seq 1 1000000' (all lines)",
    goalMs: 3000,
    memoryGoalMiB: 200,
  }),
  tool("run", ["-s", "bench-py", "-c", "print(1)"], { id: "run -s bench-py -c 'print(1)'" }),
  tool("run", ["-s", "bench-pdb", "-c", "n"], { id: "run -s bench-pdb -c n (a pdb step)" }),
  // Waiting for input: the run ends on the prompt (exit 7); the figure less
  // `run -- true`'s is the detection delay. The hook answers it and frees the pane.
  tool("run", ["-s", "bench-ask", "-c", "read -p 'Name? ' n"], {
    id: "run -s bench-ask -c 'read -p ...' (waiting for input)",
    expectExit: 7,
    after: async (c) => {
      const sock = c.world.defaultSocket;
      await c.world.tmuxQuiet(sock, "send-keys", "-t", "=bench-ask:", "x", "Enter");
      await c.world.tmuxQuiet(sock, "pipe-pane", "-t", "=bench-ask:");
      await c.world.tmuxQuiet(sock, "set-option", "-p", "-u", "-t", "=bench-ask:", "@ctmux-run");
    },
  }),
  tool("capture-pane", ["-s", "bench-shell"]),
];
