/**
 * Whole-process benchmark of the tools against the floors (`deno task bench`).
 *
 *     deno run -A bench/run.ts [--quick] [--runs N] [--only REGEX] [--no-lib] [--write] [--out DIR]
 *                              [--variant NAME=DIR|PATTERN]...
 *
 * Every case of bench/cases.ts runs as users run the tools (`deno run` with
 * the tool's declared permissions) in a private sandbox. Rounds are
 * interleaved (each round runs every case once) so background load hits
 * tools and floors alike. After the timed rounds, probe runs count the tmux
 * processes each case starts (a counting `tmux` wrapper first on PATH) and
 * read its peak memory (`/usr/bin/time -f %M`, max RSS); they are not timed.
 * Then `deno bench` of the hot library functions (bench/lib_bench.ts).
 *
 * Prints a table and the goals; a full run writes bench/results.json and
 * bench/chart.svg (`--quick`, `--only` and `--variant` write nothing unless
 * `--write`). `--variant NAME=DIR` also runs every tool case with the
 * `tools/` of checkout DIR, interleaved with this one, as `CASE [NAME]`: an
 * A/B comparison of a change under the same background load. A PATTERN with
 * `{tool}` names the scripts directly (`--variant bundle=dist/{tool}.js`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BenchCase, CASES, MEMORY_GOAL_MIB, type RunContext } from "./cases.ts";
import {
  type CaseResult,
  type GoalResult,
  type LibResult,
  type Machine,
  type Results,
  type Stats,
  writeChart,
} from "./chart.ts";
import { BENCH_DIR, BenchWorld, type CommandLine, ROOT, TIME_BIN } from "./world.ts";

const RUN_TIMEOUT_MS = 30_000;
const decoder = new TextDecoder();

interface Sample {
  ms: number;
  reactionMs?: number;
  tmuxCalls?: string[];
  peakKiB?: number;
}

/** A case's state during the run. */
interface CaseState {
  spec: BenchCase;
  status: "ok" | "skipped" | "failed";
  reason?: string;
  samples: Sample[];
  probes: Sample[];
}

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    quick: { type: "boolean", default: false },
    runs: { type: "string" },
    only: { type: "string" },
    "no-lib": { type: "boolean", default: false },
    write: { type: "boolean", default: false },
    out: { type: "string" },
    variant: { type: "string", multiple: true },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(
    "Usage: deno task bench [--quick] [--runs N] [--only REGEX] [--no-lib] [--write] [--out DIR]" +
      " [--variant NAME=DIR|PATTERN]...",
  );
  Deno.exit(0);
}
const runs = opts.runs ? Number(opts.runs) : opts.quick ? 3 : 15;
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer`);
const warmup = 1;
const probeRuns = opts.quick ? 1 : 2;
const variants = (opts.variant ?? []).map((v) => {
  const m = /^([^=]+)=(.+)$/.exec(v);
  if (!m) throw new Error(`--variant wants NAME=DIR, got ${v}`);
  const path = resolve(m[2]);
  return { name: m[1], scripts: path.includes("{tool}") ? path : join(path, "tools", "{tool}.ts") };
});
// Partial and A/B runs keep the published figures.
const writeFiles = opts.write || (!opts.quick && !opts.only && !variants.length);
const outDir = opts.out ?? BENCH_DIR;
const only = opts.only ? new RegExp(opts.only) : undefined;

const memory = await memoryMethod();
const machine = await machineInfo();
const startDate = new Date();
console.error(
  `bench: ${runs} runs (+${warmup} warm-up, +${probeRuns} probe) per case; ` +
    `${machine.cpu} x${machine.nproc}, deno ${machine.deno}, tmux ${machine.tmux}, ` +
    `load ${machine.load[0].toFixed(2)}`,
);
if (!memory.ok) console.error(`bench: peak memory NOT measured: ${memory.why}`);

// Shim cases run this checkout's shims, so they have no variants.
const specs = CASES.flatMap((c) => [
  c,
  ...(c.tool && !c.viaShim
    ? variants.map((v) => ({
      ...c,
      id: `${c.id} [${v.name}]`,
      scripts: v.scripts,
      variant: v.name,
    }))
    : []),
]);
const states: CaseState[] = specs.filter((c) => !only || only.test(c.id)).map((spec) => ({
  spec,
  status: "ok",
  samples: [],
  probes: [],
}));
const ids = new Set<string>();
for (const s of states) {
  if (ids.has(s.spec.id)) throw new Error(`duplicate case id: ${s.spec.id}`);
  ids.add(s.spec.id);
}

// The world needs a 1-session server for the floors and every count a case asks for.
const counts = new Set<number>([1]);
for (const s of states) if (s.spec.sessions !== undefined) counts.add(s.spec.sessions);

let current: Deno.ChildProcess | undefined;
const world = await BenchWorld.create([...counts].sort((a, b) => a - b)).catch((error) => {
  console.error(`bench: cannot set up the sandbox: ${(error as Error).message}`);
  Deno.exit(1);
});
const warnings: string[] = [];
const onSignal = () => {
  console.error("bench: interrupted; killing its tmux servers");
  try {
    current?.kill("SIGKILL");
  } catch { /* already gone */ }
  world[Symbol.asyncDispose]().finally(() => Deno.exit(130));
};
Deno.addSignalListener("SIGINT", onSignal);
Deno.addSignalListener("SIGTERM", onSignal);

try {
  for (const s of states) {
    const why = s.spec.tool === undefined
      ? undefined
      : world.toolUnavailable(s.spec.tool, s.spec.scripts);
    if (why) {
      s.status = "skipped";
      s.reason = why;
      console.error(`bench: skip ${s.spec.id}: ${why}`);
    }
  }
  const active = () => states.filter((s) => s.status === "ok");
  let seq = 0;
  for (let round = 0; round < warmup + runs; round++) {
    console.error(
      `bench: round ${round + 1}/${warmup + runs}${round < warmup ? " (warm-up)" : ""}`,
    );
    for (const s of active()) {
      const sample = await measure(s, ++seq, false);
      if (sample && round >= warmup) s.samples.push(sample);
    }
  }
  console.error(`bench: probe runs (tmux calls${memory.ok ? ", peak memory" : ""})`);
  for (let p = 0; p < probeRuns; p++) {
    for (const s of active()) {
      const sample = await measure(s, ++seq, true);
      if (sample) s.probes.push(sample);
    }
  }
  checkWrapper(states);
} finally {
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  await world[Symbol.asyncDispose]();
}

const lib = opts["no-lib"] ? undefined : await libBench();
machine.load[1] = round2(Deno.loadavg()[0]);
const caseResults = states.map(toResult);
const results: Results = {
  date: startDate.toISOString().replace(/\.\d+Z$/, "Z"),
  machine,
  settings: {
    runs,
    warmup,
    probeRuns,
    order: "interleaved: each round runs every case once",
    memory: memory.ok ? `${TIME_BIN} -f %M (max RSS of the process), probe runs` : memory.why,
    tmuxCount:
      "a `tmux` wrapper first on PATH logs each call (Deno resolves --allow-run=tmux on PATH), probe runs",
    sessionWorlds:
      "one server per session count, sessions running cat, every tenth registered session missing; registry written directly",
  },
  warnings,
  cases: caseResults,
  goals: goals(caseResults),
  lib,
};
printReport(results);
if (writeFiles) {
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(join(outDir, "results.json"), JSON.stringify(results, null, 2) + "\n");
  await writeChart(join(outDir, "chart.svg"), results);
  console.log(`\nWrote ${join(outDir, "results.json")} and ${join(outDir, "chart.svg")}`);
}

/** One run of a case; marks the case failed (and returns undefined) when the run did not work. */
async function measure(s: CaseState, seq: number, probe: boolean): Promise<Sample | undefined> {
  const ctx: RunContext = { world, seq };
  const spec = s.spec;
  const tmuxLog = join(world.root, `probe-${seq}.tmux`);
  const memFile = memory.ok ? join(world.root, `probe-${seq}.mem`) : undefined;
  try {
    await spec.before?.(ctx);
    let line: CommandLine | undefined;
    if (spec.floor) line = spec.floor(world);
    else if (spec.viaShim) {
      line = await world.shimCommand(
        spec.tool!,
        spec.args!(ctx),
        world.worldEnv(spec.sessions),
        spec.viaShim,
      );
      if (!line) return skip(s, "scripts/install-shims.ts (shimText) is not there");
    } else {
      line = world.toolCommand(
        spec.tool!,
        spec.args!(ctx),
        world.worldEnv(spec.sessions),
        spec.scripts,
      );
    }
    if (probe) line = world.probeCommand(line, { tmuxLog, memFile });
    const t0 = performance.now();
    const child = new Deno.Command(line.cmd, {
      args: line.args,
      env: line.env,
      clearEnv: true,
      cwd: line.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    current = child;
    const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
    let appeared: number | undefined;
    const trigger = spec.reaction
      ? (async () => {
        await sleep(t0 + spec.reaction!.delayMs - performance.now());
        await spec.reaction!.trigger(ctx);
        appeared = performance.now();
      })()
      : undefined;
    const out = await child.output();
    const t1 = performance.now();
    current = undefined;
    clearTimeout(timer);
    await trigger;
    const expected = spec.expectExit ?? 0;
    if (out.code !== expected) {
      const err = decoder.decode(out.stderr).trim().split("\n").find((l) => l.trim()) ?? "";
      const killed = out.signal === "SIGKILL" ? ` (killed after ${RUN_TIMEOUT_MS} ms)` : "";
      return fail(s, `exit ${out.code}${killed}, expected ${expected}: ${err}`.trim());
    }
    const sample: Sample = { ms: t1 - t0 };
    if (spec.reaction) {
      if (appeared === undefined || appeared > t1) {
        return fail(s, "exited before the awaited text appeared");
      }
      sample.reactionMs = t1 - appeared;
    }
    if (probe) {
      sample.tmuxCalls = await readCalls(tmuxLog);
      if (memFile) sample.peakKiB = await readPeakKiB(memFile);
    }
    return sample;
  } catch (error) {
    return fail(s, `bench error: ${(error as Error).message}`);
  } finally {
    try {
      await spec.after?.(ctx);
    } catch (error) {
      fail(s, `cleanup after the run failed: ${(error as Error).message}`);
    }
  }
}

function skip(s: CaseState, reason: string): undefined {
  console.error(`bench: skip ${s.spec.id}: ${reason}`);
  s.status = "skipped";
  s.reason = reason;
  return undefined;
}

function fail(s: CaseState, reason: string): undefined {
  if (s.status === "ok") console.error(`bench: FAILED ${s.spec.id}: ${reason}`);
  s.status = "failed";
  s.reason ??= reason;
  return undefined;
}

async function readCalls(file: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(file)).split("\x1e").filter((c) => c !== "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function readPeakKiB(file: string): Promise<number | undefined> {
  // `time -o` writes "Command exited with non-zero status N" first when the exit is not 0.
  const last = (await Deno.readTextFile(file)).trim().split("\n").at(-1) ?? "";
  return /^\d+$/.test(last) ? Number(last) : undefined;
}

/** The bare-tmux floor goes through the wrapper; if it logged nothing, counts mean nothing. */
function checkWrapper(list: CaseState[]): void {
  const bare = list.find((s) => s.spec.id === "floor: tmux display -p" && s.probes.length);
  if (bare && bare.probes.some((p) => (p.tmuxCalls?.length ?? 0) !== 1)) {
    warn("the counting tmux wrapper did not log the bare tmux call; tmux counts are wrong");
  }
  const denoOne = list.find((s) => s.spec.id === "floor: deno + 1 tmux call" && s.probes.length);
  if (denoOne && denoOne.probes.some((p) => (p.tmuxCalls?.length ?? 0) !== 1)) {
    warn("Deno did not run tmux through the wrapper on PATH; tmux counts are wrong");
  }
}

function warn(message: string): void {
  console.error(`bench: WARNING ${message}`);
  warnings.push(message);
}

function stats(values: number[]): Stats | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    median: round(median),
    min: round(sorted[0]),
    max: round(sorted.at(-1)!),
    p95: round(sorted[Math.ceil(0.95 * sorted.length) - 1]),
    n: sorted.length,
  };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

function toResult(s: CaseState): CaseResult {
  const r: CaseResult = { id: s.spec.id, status: s.status };
  if (s.spec.tool) r.tool = s.spec.variant ? `${s.spec.tool} [${s.spec.variant}]` : s.spec.tool;
  if (s.spec.sessions !== undefined) r.sessions = s.spec.sessions;
  if (s.reason) r.reason = s.reason;
  if (s.spec.goalMs !== undefined) r.goalMs = s.spec.goalMs;
  if (s.spec.goalStat !== undefined) r.goalStat = s.spec.goalStat;
  if (s.status !== "ok") return r;
  r.ms = stats(s.samples.map((x) => x.ms));
  if (s.spec.reaction) r.reactionMs = stats(s.samples.map((x) => x.reactionMs!));
  r.samples = s.samples.map((x) => round(s.spec.reaction ? x.reactionMs! : x.ms));
  const counted = s.probes.filter((p) => p.tmuxCalls);
  if (counted.length) {
    const lengths = counted.map((p) => p.tmuxCalls!.length);
    r.tmuxCalls = {
      min: Math.min(...lengths),
      max: Math.max(...lengths),
      calls: counted[0].tmuxCalls!.map(describeCall),
    };
  }
  const peaks = s.probes.flatMap((p) => p.peakKiB === undefined ? [] : [p.peakKiB]);
  if (peaks.length) r.peakMiB = round(Math.max(...peaks) / 1024);
  return r;
}

/** A logged tmux call, shortened: the sandbox path elided, long arguments cut. */
function describeCall(call: string): string {
  const text = call.replaceAll(world.root, "$BENCH");
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/** The figure a goal is judged on: reaction for reaction cases, else the whole-process time. */
function headline(c: CaseResult): Stats | undefined {
  return c.reactionMs ?? c.ms;
}

function goals(cases: CaseResult[]): GoalResult[] {
  const out: GoalResult[] = [];
  for (const c of cases) {
    if (c.goalMs === undefined) continue;
    const stat = c.goalStat ?? "median";
    const goal = `${c.id}: ${stat} <= ${c.goalMs} ms`;
    const h = headline(c);
    if (c.status !== "ok" || !h) {
      out.push({ goal, measured: `${c.status}: ${c.reason ?? ""}`.trim(), status: "n/a" });
    } else {
      out.push({
        goal,
        measured: `${h[stat]} ms (median ${h.median}, min ${h.min}, p95 ${h.p95}, max ${h.max}, ` +
          `${h.n} runs)`,
        status: h[stat] <= c.goalMs ? "ok" : "miss",
      });
    }
  }
  // Ratio goals: a case's median against another case's, from the same interleaved rounds.
  for (const spec of states.map((s) => s.spec)) {
    if (!spec.ratioGoal) continue;
    const { max } = spec.ratioGoal;
    // A variant's case is judged against the same variant's base case.
    const base = spec.variant ? `${spec.ratioGoal.base} [${spec.variant}]` : spec.ratioGoal.base;
    const goal = `${spec.id}: median <= ${max} x ${base}`;
    const a = cases.find((c) => c.id === spec.id);
    const b = cases.find((c) => c.id === base);
    if (a?.status !== "ok" || b?.status !== "ok" || !a.ms || !b.ms) {
      out.push({ goal, measured: "not both measured in this run", status: "n/a" });
      continue;
    }
    const ratio = a.ms.median / b.ms.median;
    const [fa, fb] = (spec.ratioGoal.floors ?? []).map((id) => cases.find((c) => c.id === id)?.ms);
    const floor = fa && fb ? `; tmux alone adds ${round(fa.median - fb.median)} ms` : "";
    out.push({
      goal,
      measured: `${ratio.toFixed(2)}x (${a.ms.median} / ${b.ms.median} ms${floor})`,
      status: ratio <= max ? "ok" : "miss",
    });
  }
  // tmux calls must not grow with sessions.
  const scaling = new Map<string, CaseResult[]>();
  for (const c of cases) {
    if (c.tool && c.sessions !== undefined && c.status === "ok" && c.tmuxCalls) {
      scaling.set(c.tool, [...(scaling.get(c.tool) ?? []), c]);
    }
  }
  for (const [tool, list] of scaling) {
    if (new Set(list.map((c) => c.sessions)).size < 2) continue;
    const seen = list.map((c) => `${c.tmuxCalls!.max}@${c.sessions}`);
    const constant = new Set(list.map((c) => c.tmuxCalls!.max)).size === 1;
    out.push({
      goal: `${tool}: tmux calls do not grow with sessions`,
      measured: seen.join(", "),
      status: constant ? "ok" : "miss",
    });
  }
  // Peak memory per tool.
  const peaks = new Map<string, CaseResult>();
  for (const c of cases) {
    if (!c.tool || c.peakMiB === undefined) continue;
    const own = CASES.find((k) => k.id === c.id)?.memoryGoalMiB;
    if (own !== undefined) {
      out.push({
        goal: `${c.id}: peak memory <= ${own} MiB`,
        measured: `${c.peakMiB} MiB`,
        status: c.peakMiB <= own ? "ok" : "miss",
      });
      continue;
    }
    const best = peaks.get(c.tool);
    if (!best || best.peakMiB! < c.peakMiB) peaks.set(c.tool, c);
  }
  if (!memory.ok) {
    out.push({
      goal: `peak memory <= ${MEMORY_GOAL_MIB} MiB`,
      measured: memory.why,
      status: "n/a",
    });
  }
  for (const [tool, c] of peaks) {
    out.push({
      goal: `${tool}: peak memory <= ${MEMORY_GOAL_MIB} MiB`,
      measured: `${c.peakMiB} MiB (${c.id})`,
      status: c.peakMiB! <= MEMORY_GOAL_MIB ? "ok" : "miss",
    });
  }
  return out;
}

function printReport(r: Results): void {
  const m = r.machine;
  const denoFloor = r.cases.find((c) => c.id === "floor: deno run empty.ts")?.ms?.median;
  console.log(
    `\nWhole-process times, ms (median of ${r.settings.runs} interleaved runs; min, max)` +
      `\n${r.date}  ${m.cpu} x${m.nproc} CPUs, ${m.memoryMiB} MiB, Linux ${m.kernel}, ` +
      `deno ${m.deno} (V8 ${m.v8}), tmux ${m.tmux}, load ${m.load[0].toFixed(2)} -> ${
        m.load[1].toFixed(2)
      }\n`,
  );
  const width = Math.max(40, ...r.cases.map((c) => c.id.length)) + 2;
  console.log(
    "case".padEnd(width) + "median".padStart(8) + "min".padStart(8) + "max".padStart(8) +
      "-deno".padStart(8) + "tmux".padStart(6) + "MiB".padStart(7) + "  goal",
  );
  for (const c of r.cases) {
    const h = headline(c);
    if (c.status !== "ok" || !h) {
      console.log(c.id.padEnd(width) + `${c.status}: ${c.reason ?? ""}`);
      continue;
    }
    const overhead = denoFloor !== undefined && c.tool && !c.reactionMs
      ? `+${(h.median - denoFloor).toFixed(1)}`
      : "";
    const calls = c.tmuxCalls
      ? c.tmuxCalls.min === c.tmuxCalls.max
        ? String(c.tmuxCalls.min)
        : `${c.tmuxCalls.min}-${c.tmuxCalls.max}`
      : "";
    const goal = c.goalMs === undefined
      ? ""
      : `${c.goalStat === "p95" ? `p95 ${h.p95} ` : ""}<= ${c.goalMs} ${
        h[c.goalStat ?? "median"] <= c.goalMs ? "ok" : "MISS"
      }`;
    const extra = c.reactionMs && c.ms ? `  (whole process ${c.ms.median} ms)` : "";
    console.log(
      c.id.padEnd(width) + h.median.toFixed(1).padStart(8) + h.min.toFixed(1).padStart(8) +
        h.max.toFixed(1).padStart(8) + overhead.padStart(8) + calls.padStart(6) +
        (c.peakMiB?.toFixed(1) ?? "").padStart(7) + "  " + goal + extra,
    );
  }
  console.log(
    `\n-deno: median minus the 'deno run empty.ts' floor. tmux: tmux processes the run started.` +
      `\nMiB: peak memory (max RSS). Reaction rows: ms from the text appearing to the tool's exit.`,
  );
  for (const w of r.warnings) console.log(`\nWARNING: ${w}`);
  console.log("\nGoals:");
  for (const g of r.goals) {
    console.log(`  ${g.status.toUpperCase().padEnd(4)} ${g.goal}: ${g.measured}`);
  }
  if (r.lib?.length) {
    console.log("\ndeno bench of library functions (µs per call):");
    const w = Math.max(...r.lib.map((l) => l.name.length)) + 2;
    console.log("bench".padEnd(w) + "avg".padStart(10) + "min".padStart(10) + "p75".padStart(10));
    for (const l of r.lib) {
      console.log(
        l.name.padEnd(w) + l.avgUs.toFixed(2).padStart(10) + l.minUs.toFixed(2).padStart(10) +
          l.p75Us.toFixed(2).padStart(10),
      );
    }
  }
}

async function memoryMethod(): Promise<{ ok: true } | { ok: false; why: string }> {
  const file = await Deno.makeTempFile({ prefix: "bench-mem-" });
  try {
    const out = await new Deno.Command(TIME_BIN, {
      args: ["-f", "%M", "-o", file, "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (out.success && /^\d+\s*$/.test(await Deno.readTextFile(file))) return { ok: true };
    return { ok: false, why: `${TIME_BIN} -f %M did not report a max RSS` };
  } catch {
    return { ok: false, why: `${TIME_BIN} not found (apt-get install -y time)` };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

async function machineInfo(): Promise<Machine> {
  let cpu = "unknown CPU";
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1]?.trim() ??
      cpu;
  } catch { /* not Linux */ }
  let tmux = "unknown";
  try {
    const out = await new Deno.Command("tmux", { args: ["-V"], stderr: "null" }).output();
    tmux = decoder.decode(out.stdout).trim().replace(/^tmux /, "");
  } catch { /* checked when the world is made */ }
  return {
    nproc: navigator.hardwareConcurrency,
    cpu,
    kernel: Deno.osRelease(),
    memoryMiB: Math.round(Deno.systemMemoryInfo().total / 1048576),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tmux,
    load: [round2(Deno.loadavg()[0]), 0],
  };
}

/** `deno bench` of bench/lib_bench.ts, parsed from its JSON output. */
async function libBench(): Promise<LibResult[] | undefined> {
  console.error("bench: deno bench bench/lib_bench.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bench", "-A", "--json", join(BENCH_DIR, "lib_bench.ts")],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    console.error(`bench: deno bench failed: ${decoder.decode(out.stderr).trim()}`);
    return undefined;
  }
  interface BenchJson {
    benches: Array<{
      name: string;
      group: string | null;
      results: Array<{ ok?: { n: number; min: number; max: number; avg: number; p75: number } }>;
    }>;
  }
  const json = JSON.parse(decoder.decode(out.stdout)) as BenchJson;
  return json.benches.flatMap((b) => {
    const ok = b.results[0]?.ok;
    if (!ok) return [];
    const us = (ns: number) => Math.round(ns / 10) / 100;
    const r: LibResult = {
      name: b.name,
      avgUs: us(ok.avg),
      minUs: us(ok.min),
      p75Us: us(ok.p75),
      maxUs: us(ok.max),
      n: ok.n,
    };
    if (b.group) r.group = b.group;
    return [r];
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
