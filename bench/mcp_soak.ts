/**
 * Soak of the MCP server (issue 16's reliability goal): for a bounded time,
 * several clients hammer one MCP server (concurrent requests on its
 * connection) while a second MCP server and the command-line tools work on
 * the same registry and tmux server, and the tmux server is killed under
 * them now and then. At the end: every session that was created and not
 * killed must still be registered (0 lost entries), no control client or
 * child process may be left (the servers closed), and the server must still
 * answer.
 *
 *     deno run -A bench/mcp_soak.ts [--minutes 10] [--clients 4] [--kill-every 60] [--write]
 *
 * Prints the figures; `--write` saves bench/mcp-soak.json.
 *
 * @module
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connect, type Connected, controlClients, defaultSocket } from "../tests/fixtures/mcp.ts";
import { Sandbox } from "../tests/helpers.ts";
import { BENCH_DIR } from "./world.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    minutes: { type: "string", default: "10" },
    clients: { type: "string", default: "4" },
    "kill-every": { type: "string", default: "60" },
    write: { type: "boolean", default: false },
  },
});
const DURATION_MS = Number(opts.minutes) * 60_000;
const CLIENTS = Number(opts.clients);
const KILL_EVERY_MS = Number(opts["kill-every"]) * 1000;

await using box = await Sandbox.create();
const sock = defaultSocket(box);

type Connection = Connected & { pid: number };

async function open(): Promise<Connection> {
  const connection = await connect(box);
  return Object.assign(connection, { pid: connection.transport.pid! });
}

const main = await open();
const second = await open();

/** Names whose creation succeeded, and those whose kill (registry removal) succeeded. */
const created = new Set<string>();
const removed = new Set<string>();
const counts = {
  calls: 0,
  toolErrors: 0,
  transportErrors: 0,
  cliRuns: 0,
  cliFailures: 0,
  serverKills: 0,
  wrongOutputs: 0,
};
const latencies: number[] = [];
let maxControlClients = 0;
const errorsSeen = new Map<string, number>();
const deadline = performance.now() + DURATION_MS;

async function call(
  conn: Connection,
  name: string,
  args: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const t0 = performance.now();
  counts.calls++;
  try {
    const result = await conn.client.callTool({ name, arguments: args }) as CallToolResult;
    latencies.push(performance.now() - t0);
    if (result.isError) {
      counts.toolErrors++;
      const text = result.content.map((p) => p.type === "text" ? p.text : "").join("");
      // Errors are expected while the tmux server is being killed; keep their kinds.
      const kind = text.replace(/'[^']*'|%\d+|\/\S+|\(target: [^)]*\)/g, "X").slice(0, 100);
      errorsSeen.set(kind, (errorsSeen.get(kind) ?? 0) + 1);
      return undefined;
    }
    return result.structuredContent as Record<string, unknown>;
  } catch (error) {
    counts.transportErrors++;
    errorsSeen.set(`transport: ${(error as Error).message.slice(0, 60)}`, 1);
    return undefined;
  }
}

async function mcpWorker(conn: Connection, id: string): Promise<void> {
  for (let n = 0; performance.now() < deadline; n++) {
    const name = `${id}-${n}`;
    const made = await call(conn, "create_session", { name });
    if (!made) continue;
    created.add(name);
    const ran = await call(conn, "run", { session: name, command: `echo v$((${n}*2))` });
    if (ran && ran.kind === "completed" && ran.output !== `v${n * 2}`) counts.wrongOutputs++;
    await call(conn, "send", {
      session: name,
      text: `echo s-${n}`,
      waitFor: `^s-${n}$`,
      waitMs: 5000,
    });
    await call(conn, "wait", { session: name, pattern: `^s-${n}$`, waitMs: 2000 });
    await call(conn, "capture", { session: name, history: 50 });
    await call(conn, "pane_health", { session: name });
    await call(conn, "list_sessions", {});
    // Kill two of three; the third stays registered to the end.
    if (n % 3 !== 2) {
      const killed = await call(conn, "kill_session", { session: name });
      if (killed?.deregistered) removed.add(name);
    }
  }
}

async function cli(tool: string, args: string[]): Promise<number> {
  counts.cliRuns++;
  const out = await box.run(tool as Parameters<Sandbox["run"]>[0], args);
  if (out.code !== 0) counts.cliFailures++;
  return out.code;
}

async function cliWorker(): Promise<void> {
  for (let n = 0; performance.now() < deadline; n++) {
    const name = `cli-${n}`;
    if (await cli("create-session", ["-n", name]) === 0) created.add(name);
    await cli("run", ["-s", name, "-c", "echo cli"]);
    await cli("list-sessions", ["--json"]);
    if (n % 2 === 0 && await cli("kill-session", ["-s", name]) <= 1) removed.add(name);
  }
}

async function chaos(): Promise<void> {
  while (performance.now() + KILL_EVERY_MS < deadline) {
    await new Promise((r) => setTimeout(r, KILL_EVERY_MS));
    await box.tmuxRaw(sock, "kill-server");
    counts.serverKills++;
  }
}

async function watchClients(): Promise<void> {
  while (performance.now() < deadline) {
    maxControlClients = Math.max(maxControlClients, (await controlClients(box, sock)).length);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

console.error(
  `soak: ${opts.minutes} min, ${CLIENTS} clients on one server + 1 on a second server + CLI, ` +
    `tmux server killed every ${opts["kill-every"]} s`,
);
const started = performance.now();
await Promise.all([
  ...Array.from({ length: CLIENTS }, (_, i) => mcpWorker(main, `m${i}`)),
  mcpWorker(second, "second"),
  cliWorker(),
  chaos(),
  watchClients(),
]);
const elapsedS = (performance.now() - started) / 1000;

// The server still answers.
const t0 = performance.now();
await main.client.ping();
const stillAnswers = await call(main, "list_sessions", {});
const finalCallMs = performance.now() - t0;

// Every created, not removed, session is registered.
const registry = JSON.parse(await Deno.readTextFile(box.registryFile)) as {
  sessions: Record<string, unknown>;
};
const expected = [...created].filter((name) => !removed.has(name));
const lost = expected.filter((name) => !Object.hasOwn(registry.sessions, name));

// Close both servers; nothing of theirs may stay.
await main.client.close();
await second.client.close();
const children = async (pid: number) => {
  const out = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(pid)] })
    .output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").filter((l) => l !== "").length;
};
const leftoverChildren = (await children(main.pid)) + (await children(second.pid));
const leftoverClients = (await controlClients(box, sock)).length;
const stray = new TextDecoder().decode(
  (await new Deno.Command("pgrep", { args: ["-f", `${sock} -N -C`] }).output()).stdout,
).trim();

const sorted = [...latencies].sort((a, b) => a - b);
const pct = (p: number) =>
  Math.round(sorted[Math.floor((p / 100) * (sorted.length - 1))] * 100) / 100;
const report = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  minutes: Math.round(elapsedS / 6) / 10,
  clients: CLIENTS + 1,
  ...counts,
  created: created.size,
  removed: removed.size,
  expectedRegistered: expected.length,
  lostEntries: lost.length,
  maxControlClients,
  leftoverControlClients: leftoverClients,
  leftoverChildProcesses: leftoverChildren,
  strayControlProcesses: stray === "" ? 0 : stray.split("\n").length,
  stillAnswers: stillAnswers !== undefined,
  finalCallMs: Math.round(finalCallMs * 100) / 100,
  callMs: { p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) },
  errorKinds: Object.fromEntries(errorsSeen),
  load: Deno.loadavg(),
};
console.log(JSON.stringify(report, null, 2));
if (opts.write) {
  await Deno.writeTextFile(
    join(BENCH_DIR, "mcp-soak.json"),
    JSON.stringify(report, null, 2) + "\n",
  );
}
const failed = lost.length > 0 || leftoverClients > 0 || leftoverChildren > 0 ||
  report.strayControlProcesses > 0 || !report.stillAnswers || counts.wrongOutputs > 0;
if (failed) console.error(`soak FAILED: lost ${lost.join(", ")}`);
Deno.exit(failed ? 1 : 0);
