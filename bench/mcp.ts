/**
 * The MCP server's goals (issue 16), measured as a client sees them: the
 * SDK's `Client` drives `tools/mcp-server.ts` over stdio (JSON-RPC round
 * trip included), next to the same operation through the command-line tool
 * and the floors of the same run (an MCP `ping`, one tmux command through a
 * control client, a Deno start).
 *
 *     deno run -A bench/mcp.ts [--runs N] [--cli-runs N] [--write]
 *
 * Goals: pane_health and capture <= 1 ms p50 at 50 sessions, list_sessions
 * <= 3 ms p50 at 50 sessions, wait reaction <= 2 ms p95 after the text
 * appears, a Python `print` round trip through run <= 5 ms p50. `--write`
 * saves bench/mcp-results.json.
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Server } from "../lib/server.ts";
import { connect } from "../tests/fixtures/mcp.ts";
import { BENCH_DIR, BenchWorld } from "./world.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "200" },
    "cli-runs": { type: "string", default: "10" },
    write: { type: "boolean", default: false },
  },
});
const RUNS = Number(opts.runs);
const CLI_RUNS = Number(opts["cli-runs"]);
const SESSIONS = 50;

interface Row {
  id: string;
  p50: number;
  p95: number;
  n: number;
  cli?: { id: string; median: number; n: number };
  goal?: { stat: "p50" | "p95"; ms: number };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, index)] * 1000) / 1000;
}

async function sample(n: number, fn: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}

function ok(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(JSON.stringify(result.content));
  return result.structuredContent as Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

await using world = await BenchWorld.create([SESSIONS]);
const env = world.worldEnv(SESSIONS);
const sock = world.defaultSocket;
const box = world.box;
await using connection = await connect(box, [], env);
const { client } = connection;
const call = async (name: string, args: Record<string, unknown>) =>
  ok(await client.callTool({ name, arguments: args }) as CallToolResult);
const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/** A CLI tool's whole-process time, as users run it. */
async function cli(tool: string, args: string[]): Promise<number> {
  const line = world.toolCommand(tool, args, env);
  const t0 = performance.now();
  const out = await new Deno.Command(line.cmd, {
    args: line.args,
    env: line.env,
    clearEnv: true,
    cwd: line.cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(
      `${tool} ${args.join(" ")}: exit ${out.code} ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ms;
}

const rows: Row[] = [];
const add = (
  id: string,
  values: number[],
  extra: Partial<Row> = {},
) =>
  rows.push({
    id,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    n: values.length,
    ...extra,
  });
const median = (values: number[]) => percentile(values, 50);

try {
  console.error(`bench mcp: ${RUNS} runs per MCP case, ${CLI_RUNS} per CLI case`);
  // Warm-up: the control clients attach, the JIT warms.
  for (let i = 0; i < 20; i++) {
    await call("pane_health", { session: "s0025" });
    await call("capture", { session: "s0025" });
    await call("list_sessions", {});
  }

  add(
    "floor: MCP ping (JSON-RPC round trip)",
    await sample(RUNS, () => timed(() => client.ping())),
  );
  {
    await using direct = new Server({ path: sock }).connect();
    await direct.run(["display-message", "-p", "x"]);
    add(
      "floor: tmux display -p through a control client (in process)",
      await sample(RUNS, () => timed(() => direct.run(["display-message", "-p", "x"]))),
    );
  }

  const health = await sample(RUNS, () => timed(() => call("pane_health", { session: "s0025" })));
  add("pane_health @50", health, {
    cli: {
      id: "pane-health -s s0025",
      ...stats(await sample(CLI_RUNS, () => cli("pane-health", ["-s", "s0025"]))),
    },
    goal: { stat: "p50", ms: 1 },
  });

  const capture = await sample(RUNS, () => timed(() => call("capture", { session: "s0025" })));
  add("capture @50", capture, {
    cli: {
      id: "capture-pane -s s0025",
      ...stats(await sample(CLI_RUNS, () => cli("capture-pane", ["-s", "s0025"]))),
    },
    goal: { stat: "p50", ms: 1 },
  });

  const list = await sample(RUNS, () => timed(() => call("list_sessions", {})));
  add("list_sessions @50", list, {
    cli: {
      id: "list-sessions --json",
      ...stats(await sample(CLI_RUNS, () => cli("list-sessions", ["--json"]))),
    },
    goal: { stat: "p50", ms: 3 },
  });

  // Wait reaction: the text is written to the pane's tty once the wait runs. The tty is opened
  // once, and the clock starts as the one write call that puts the text there begins (opening
  // the file for each write would count the bench's own file calls as the server's reaction).
  const waitRuns = RUNS;
  using tty = Deno.openSync(world.waitPaneTty, { write: true, append: true });
  const encoder = new TextEncoder();
  const reaction = await sample(waitRuns, async (i) => {
    const marker = `MCP-${i}-READY`;
    const waiting = call("wait", {
      target: "bench-wait:0.0",
      socket: sock,
      pattern: `^${marker}$`,
      waitMs: 10_000,
    });
    await sleep(30);
    const text = encoder.encode(`${marker}\r\n`);
    const appeared = performance.now();
    tty.writeSync(text);
    const outcome = await waiting;
    if (outcome.kind !== "matched") throw new Error(`wait: ${JSON.stringify(outcome)}`);
    return performance.now() - appeared;
  });
  const cliReaction = await sample(CLI_RUNS, async (i) => {
    const marker = `CLI-${i}-READY`;
    const line = world.toolCommand(
      "wait-for-text",
      ["-t", "bench-wait:0.0", "-S", sock, "-p", `^${marker}$`, "-T", "10"],
      env,
    );
    const child = new Deno.Command(line.cmd, {
      args: line.args,
      env: line.env,
      clearEnv: true,
      cwd: line.cwd,
      stdout: "null",
      stderr: "null",
    }).spawn();
    await sleep(300);
    const text = encoder.encode(`${marker}\r\n`);
    const appeared = performance.now();
    tty.writeSync(text);
    const status = await child.status;
    if (!status.success) throw new Error(`wait-for-text exit ${status.code}`);
    return performance.now() - appeared;
  });
  add("wait reaction (text appears -> reply)", reaction, {
    cli: { id: "wait-for-text reaction (text appears -> exit)", ...stats(cliReaction) },
    goal: { stat: "p95", ms: 2 },
  });

  // A Python print round trip through run, in a pane (its target arguments) and by the CLI.
  const pythonRuns = async (where: Record<string, unknown>, cliTarget: string[]) => ({
    mcp: await sample(RUNS, (i) =>
      timed(async () => {
        const result = await call("run", { ...where, command: `print(${i}+1)` });
        if (result.output !== String(i + 1)) throw new Error(`run: ${JSON.stringify(result)}`);
      })),
    cli: stats(await sample(CLI_RUNS, (i) => cli("run", [...cliTarget, "-c", `print(${i})`]))),
  });

  const unnamed = await pythonRuns({ target: "bench-py:0.0", socket: sock }, [
    "-t",
    "bench-py:0.0",
    "-S",
    sock,
  ]);
  add("run print() in Python (a pane of no registered session)", unnamed.mcp, {
    cli: { id: "run -c 'print(N)' in Python", ...unnamed.cli },
    goal: { stat: "p50", ms: 5 },
  });

  // The same in a session the server made (registered: its output log is read, no pipe per run).
  const made = { session: "bench-mcp-py" };
  await call("create_session", { name: made.session, kind: "python" });
  await call("wait", { ...made, pattern: "^>>>", waitMs: 15_000 });
  const registered = await pythonRuns(made, ["-s", made.session]);
  add("run print() in Python (a session create_session made)", registered.mcp, {
    cli: { id: "run -s NAME -c 'print(N)' in Python", ...registered.cli },
  });
  await call("kill_session", made);
} finally {
  await client.close();
  const stderr = connection.stderr();
  if (stderr) console.error(`server stderr: ${stderr}`);
}

function stats(values: number[]): { median: number; n: number } {
  return { median: median(values), n: values.length };
}

const load = Deno.loadavg()[0];
console.log(
  `\nMCP server over stdio (SDK client), ms; ${SESSIONS} registered sessions; load ${
    load.toFixed(2)
  }`,
);
console.log(
  "case".padEnd(56) + "p50".padStart(8) + "p95".padStart(8) + "   CLI median".padStart(14) +
    "  CLI/MCP" + "  goal",
);
for (const r of rows) {
  const goal = r.goal
    ? `${r.goal.stat} <= ${r.goal.ms} ${r[r.goal.stat] <= r.goal.ms ? "ok" : "MISS"}`
    : "";
  const cliText = r.cli ? r.cli.median.toFixed(1) : "";
  const ratio = r.cli ? `${(r.cli.median / r.p50).toFixed(0)}x` : "";
  console.log(
    r.id.padEnd(56) + r.p50.toFixed(3).padStart(8) + r.p95.toFixed(3).padStart(8) +
      cliText.padStart(14) + ratio.padStart(9) + "  " + goal,
  );
}
if (opts.write) {
  const file = join(BENCH_DIR, "mcp-results.json");
  await Deno.writeTextFile(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        deno: Deno.version.deno,
        load: Math.round(load * 100) / 100,
        sessions: SESSIONS,
        runs: RUNS,
        cliRuns: CLI_RUNS,
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  console.log(`\nWrote ${file}`);
}
