/**
 * The benchmark's results document (bench/results.json) and its SVG chart:
 * tool time against registered-session count, with the floors (a bare
 * `deno run`, a Deno start plus one tmux call, a bare tmux call) and the
 * goals drawn in. Run directly to redraw bench/chart.svg from
 * bench/results.json:
 *
 *     deno run --allow-read=bench --allow-write=bench --allow-run=deno bench/chart.ts
 *
 * @module
 */

/** Median, min and max of repeated runs, in ms. */
export interface Stats {
  /** Median. */
  median: number;
  /** Fastest run. */
  min: number;
  /** Slowest run. */
  max: number;
  /** 95th percentile (nearest rank): with fewer than 20 runs, the slowest. */
  p95: number;
  /** Number of runs. */
  n: number;
}

/** One case's figures. */
export interface CaseResult {
  /** The case's label. */
  id: string;
  /** The tool, undefined for a floor. */
  tool?: string;
  /** Registered sessions of its world, when it has one. */
  sessions?: number;
  /** `ok`, `skipped` (tool not there yet) or `failed` (unexpected exit). */
  status: "ok" | "skipped" | "failed";
  /** Why skipped or failed. */
  reason?: string;
  /** Whole-process time (start to exit). */
  ms?: Stats;
  /** Reaction cases: time from the text appearing to exit. */
  reactionMs?: Stats;
  /** The timed runs, ms (reaction cases: reaction times). */
  samples?: number[];
  /** tmux processes started per run (fewest and most over the probe runs) and their arguments. */
  tmuxCalls?: { min: number; max: number; calls: string[] };
  /** Peak resident memory (max RSS) over the probe runs, MiB. */
  peakMiB?: number;
  /** Goal for the median (or `goalStat`), ms. */
  goalMs?: number;
  /** The figure `goalMs` is for (default the median). */
  goalStat?: "median" | "p95";
}

/** A goal and how it went. */
export interface GoalResult {
  /** The goal in words. */
  goal: string;
  /** What was measured. */
  measured: string;
  /** `ok`, `miss`, or `n/a` (not measured). */
  status: "ok" | "miss" | "n/a";
}

/** One `deno bench` result, in µs. */
export interface LibResult {
  /** Bench name. */
  name: string;
  /** Bench group. */
  group?: string;
  /** Mean per iteration, µs. */
  avgUs: number;
  /** Fastest, µs. */
  minUs: number;
  /** p75, µs. */
  p75Us: number;
  /** Slowest, µs. */
  maxUs: number;
  /** Iterations. */
  n: number;
}

/** Where the figures were measured. */
export interface Machine {
  /** CPUs seen by the process. */
  nproc: number;
  /** CPU model name. */
  cpu: string;
  /** Kernel release. */
  kernel: string;
  /** Total memory, MiB. */
  memoryMiB: number;
  /** Deno version. */
  deno: string;
  /** V8 version. */
  v8: string;
  /** tmux version. */
  tmux: string;
  /** 1-minute load average when the bench started and ended. */
  load: [number, number];
}

/** The whole results document. */
export interface Results {
  /** When (ISO 8601, UTC). */
  date: string;
  /** Where. */
  machine: Machine;
  /** How. */
  settings: {
    runs: number;
    warmup: number;
    probeRuns: number;
    order: string;
    memory: string;
    tmuxCount: string;
    sessionWorlds: string;
  };
  /** Anything that makes figures doubtful (for example tmux counts that can't be trusted). */
  warnings: string[];
  /** Every case, in table order. */
  cases: CaseResult[];
  /** The goals of the issue. */
  goals: GoalResult[];
  /** `deno bench` of the hot library functions. */
  lib?: LibResult[];
}

const WIDTH = 920;
const HEIGHT = 440;
const MARGIN = { left: 64, right: 330, top: 64, bottom: 56 };
const SERIES_COLORS = ["#1f6fb4", "#e8750e", "#2a9d3a", "#8e44ad", "#c0392b"];
const FLOORS: Array<{ id: string; label: string; color: string; dash: string }> = [
  {
    id: "floor: deno + 1 tmux call",
    label: "floor: Deno start + 1 tmux call",
    color: "#555",
    dash: "6 3",
  },
  {
    id: "floor: deno run empty.ts",
    label: "floor: deno run of an empty script",
    color: "#888",
    dash: "2 3",
  },
  {
    id: "floor: tmux display -p",
    label: "floor: bare tmux display -p",
    color: "#aaa",
    dash: "1 3",
  },
];

/** Renders the chart of `results` as SVG text. */
export function renderChart(results: Results): string {
  // A series: the cases that differ only in their session count.
  const scaling = new Map<string, CaseResult[]>();
  for (const c of results.cases) {
    if (c.sessions === undefined || c.status !== "ok" || !c.ms) continue;
    const series = seriesLabel(c);
    if (!scaling.has(series)) scaling.set(series, []);
    scaling.get(series)!.push(c);
  }
  for (const [series, list] of scaling) {
    if (new Set(list.map((c) => c.sessions)).size < 2) scaling.delete(series);
    else list.sort((a, b) => a.sessions! - b.sessions!);
  }
  const counts = [...new Set([...scaling.values()].flat().map((c) => c.sessions!))].sort((a, b) =>
    a - b
  );
  const floors = FLOORS.flatMap((f) => {
    const c = results.cases.find((r) => r.id === f.id && r.status === "ok" && r.ms);
    return c ? [{ ...f, ms: c.ms!.median }] : [];
  });
  const goals = results.cases.filter((c) =>
    c.goalMs !== undefined && c.sessions !== undefined && scaling.has(seriesLabel(c))
  );

  const values = [
    ...[...scaling.values()].flat().map((c) => c.ms!.max),
    ...floors.map((f) => f.ms),
    ...goals.map((g) => g.goalMs!),
  ];
  const top = niceTop(Math.max(10, ...values));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  // Some room left and right of the extreme counts, for whiskers and goal marks.
  const lo = Math.log10(Math.min(1, ...counts)) - 0.12;
  const hi = Math.log10(Math.max(200, ...counts)) + 0.12;
  const x = (n: number) => MARGIN.left + ((Math.log10(n) - lo) / (hi - lo || 1)) * plotW;
  const y = (ms: number) => MARGIN.top + plotH - (ms / top) * plotH;

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    text(
      MARGIN.left,
      24,
      `Whole-process time against registered sessions (median, whiskers min-max, ${results.settings.runs} runs)`,
      { size: 14, weight: "bold" },
    ),
    text(MARGIN.left, 44, machineLine(results), { size: 11, fill: "#444" }),
  );
  // Axes and grid.
  const step = tickStep(top);
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(
      line(MARGIN.left, y(v), MARGIN.left + plotW, y(v), { stroke: "#e6e6e6" }),
      text(MARGIN.left - 8, y(v) + 4, fmt(v), { anchor: "end" }),
    );
  }
  for (const n of counts) {
    out.push(
      line(x(n), MARGIN.top, x(n), MARGIN.top + plotH, { stroke: "#f0f0f0" }),
      text(x(n), MARGIN.top + plotH + 18, String(n), { anchor: "middle" }),
    );
  }
  out.push(
    line(MARGIN.left, MARGIN.top + plotH, MARGIN.left + plotW, MARGIN.top + plotH, {
      stroke: "#333",
    }),
    line(MARGIN.left, MARGIN.top, MARGIN.left, MARGIN.top + plotH, { stroke: "#333" }),
    text(MARGIN.left + plotW / 2, HEIGHT - 14, "registered sessions (log scale)", {
      anchor: "middle",
    }),
    `<text x="16" y="${MARGIN.top + plotH / 2}" text-anchor="middle" ` +
      `transform="rotate(-90 16 ${MARGIN.top + plotH / 2})">ms</text>`,
  );

  const legend: string[] = [];
  const legendX = MARGIN.left + plotW + 18;
  let legendY = MARGIN.top + 6;
  const addLegend = (mark: (lx: number, ly: number) => string[], label: string) => {
    legend.push(...mark(legendX, legendY), text(legendX + 30, legendY + 4, label));
    legendY += 20;
  };

  for (const f of floors) {
    const style = { stroke: f.color, dash: f.dash, width: 1.5 };
    out.push(line(MARGIN.left, y(f.ms), MARGIN.left + plotW, y(f.ms), style));
    addLegend((lx, ly) => [line(lx, ly, lx + 24, ly, style)], `${f.label}: ${fmt(f.ms)} ms`);
  }

  let i = 0;
  let colorIndex = 0;
  for (const list of scaling.values()) {
    const isFloor = list[0].tool === undefined;
    const color = isFloor ? "#999" : SERIES_COLORS[colorIndex++ % SERIES_COLORS.length];
    const dash = isFloor ? ` stroke-dasharray="4 3"` : "";
    const offset = (++i - (scaling.size + 1) / 2) * 4; // keeps the whiskers of series apart
    const px = (c: CaseResult) => x(c.sessions!) + offset;
    for (const c of list) {
      const cx = px(c);
      out.push(
        line(cx, y(c.ms!.min), cx, y(c.ms!.max), { stroke: color }),
        line(cx - 3, y(c.ms!.min), cx + 3, y(c.ms!.min), { stroke: color }),
        line(cx - 3, y(c.ms!.max), cx + 3, y(c.ms!.max), { stroke: color }),
      );
    }
    const points = list.map((c) => `${r(px(c))},${r(y(c.ms!.median))}`);
    out.push(
      `<polyline points="${
        points.join(" ")
      }" fill="none" stroke="${color}" stroke-width="2"${dash}/>`,
      ...list.map((c) =>
        `<circle cx="${r(px(c))}" cy="${r(y(c.ms!.median))}" r="3.5" fill="${color}">` +
        `<title>${esc(`${c.id}: median ${fmt(c.ms!.median)} ms`)}</title></circle>`
      ),
    );
    const n = callsText(list);
    const calls = list.some((c) => c.tmuxCalls) ? ` · ${n} tmux call${n === "1" ? "" : "s"}` : "";
    addLegend(
      (lx, ly) => [
        line(lx, ly, lx + 24, ly, { stroke: color, width: 2, dash: isFloor ? "4 3" : undefined }),
        `<circle cx="${lx + 12}" cy="${ly}" r="3.5" fill="${color}"/>`,
      ],
      `${seriesLabel(list[0])}${isFloor ? "" : calls}`,
    );
  }

  const goalStyle = { stroke: "#d62728", width: 2.5 };
  for (const g of goals) {
    const gx = x(g.sessions!);
    out.push(
      line(gx - 10, y(g.goalMs!), gx + 10, y(g.goalMs!), goalStyle),
      text(gx, y(g.goalMs!) - 6, `goal ${g.goalMs} ms`, {
        anchor: "middle",
        fill: "#d62728",
        size: 11,
      }),
    );
  }
  if (goals.length) {
    addLegend((lx, ly) => [line(lx, ly, lx + 24, ly, goalStyle)], "goal (median)");
  }
  out.push(...legend, "</svg>", "");
  return out.join("\n");
}

/** The case's label without its session count. */
function seriesLabel(c: CaseResult): string {
  return c.id.replace(/\s*@\d+\b/, "");
}

function callsText(list: CaseResult[]): string {
  const counts = new Set(
    list.flatMap((c) => c.tmuxCalls ? [c.tmuxCalls.min, c.tmuxCalls.max] : []),
  );
  return [...counts].sort((a, b) => a - b).join("-");
}

function machineLine(results: Results): string {
  const m = results.machine;
  return `${results.date.slice(0, 10)} · ${m.cpu} × ${m.nproc} CPUs · deno ${m.deno} · ` +
    `tmux ${m.tmux} · load ${m.load[0].toFixed(2)}`;
}

function niceTop(max: number): number {
  const step = tickStep(max * 1.1);
  return Math.ceil((max * 1.1) / step) * step;
}

function tickStep(range: number): number {
  for (const s of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]) {
    if (range / s <= 8) return s;
  }
  return 10 ** Math.ceil(Math.log10(range / 8));
}

function r(v: number): string {
  return v.toFixed(1);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function text(
  x: number,
  y: number,
  content: string,
  o: { anchor?: string; size?: number; weight?: string; fill?: string } = {},
): string {
  const attrs = [`x="${r(x)}"`, `y="${r(y)}"`];
  if (o.anchor) attrs.push(`text-anchor="${o.anchor}"`);
  if (o.size) attrs.push(`font-size="${o.size}"`);
  if (o.weight) attrs.push(`font-weight="${o.weight}"`);
  if (o.fill) attrs.push(`fill="${o.fill}"`);
  return `<text ${attrs.join(" ")}>${esc(content)}</text>`;
}

function line(
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  o: { stroke: string; width?: number; dash?: string },
): string {
  const dash = o.dash ? ` stroke-dasharray="${o.dash}"` : "";
  return `<line x1="${r(x1)}" y1="${r(y1)}" x2="${r(x2)}" y2="${r(y2)}" stroke="${o.stroke}" ` +
    `stroke-width="${o.width ?? 1}"${dash}/>`;
}

/** Writes the chart to `file`, formatted as `deno fmt` wants it (the repo's gates check it). */
export async function writeChart(file: string, results: Results): Promise<void> {
  await Deno.writeTextFile(file, renderChart(results));
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", file],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "null",
  }).output();
}

if (import.meta.main) {
  const dir = new URL(".", import.meta.url).pathname;
  const results = JSON.parse(await Deno.readTextFile(`${dir}results.json`)) as Results;
  await writeChart(`${dir}chart.svg`, results);
  console.error(`wrote ${dir}chart.svg`);
}
