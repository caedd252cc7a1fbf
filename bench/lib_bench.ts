/**
 * `deno bench` of the hot library functions: parsing `-F` output, pane
 * matching and health, registry parse/serialise, and a registry read and a
 * locked write on disk, each at 200 sessions (the largest world of the
 * whole-process bench).
 *
 *     deno bench -A bench/lib_bench.ts
 *
 * @module
 */
import { join } from "node:path";
import { healthFromPanes } from "../lib/health.ts";
import { findPane, parsePanes } from "../lib/panes.ts";
import {
  parseRegistry,
  Registry,
  type RegistryData,
  serializeRegistry,
  sessionNames,
} from "../lib/registry.ts";
import { summarizeSession } from "../lib/sessions.ts";
import { FIELD_SEP, parseRows } from "../lib/quote.ts";
import { isoTimestamp, timeAgo } from "../lib/time.ts";

const SESSIONS = 200;
const name = (i: number) => `s${String(i).padStart(4, "0")}`;

// `list-panes -a -F` output of 200 single-pane sessions, as lib/panes.ts asks for it.
const panesOutput = Array.from(
  { length: SESSIONS },
  (_, i) =>
    [name(i + 1), "0", "shell", "1", "0", "1", `%${i}`, "0", String(Deno.pid), "1", "0"].join(
      FIELD_SEP,
    ),
)
  .join("\n") + "\n";
const panes = parsePanes(panesOutput);
if (panes.length !== SESSIONS) throw new Error("parsePanes fixture does not parse");

const now = isoTimestamp();
const data: RegistryData = { sessions: {}, version: "1.0" };
for (let i = SESSIONS; i >= 1; i--) {
  data.sessions[name(i)] = {
    socket: "/tmp/claude-tmux-sockets/claude.sock",
    target: `${name(i)}:0.0`,
    type: "shell",
    created_at: now,
    last_active: now,
    pid: 10000 + i,
  };
}
const registryText = serializeRegistry(data);

const dir = Deno.makeTempDirSync({ prefix: "bench-lib-" });
globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
const registryFile = join(dir, ".sessions.json");
Deno.writeTextFileSync(registryFile, registryText);
const registry = new Registry({
  paths: {
    socketDir: dir,
    defaultSocket: join(dir, "claude.sock"),
    registryFile,
    lockFile: join(dir, ".sessions.lock"),
  },
  lockTimeoutSeconds: 5,
});
const nowEpoch = Math.floor(Date.now() / 1000);

Deno.bench("parseRows: list-panes -F output, 200 rows", { group: "parse" }, () => {
  parseRows(panesOutput);
});
Deno.bench("parsePanes: list-panes -F output, 200 panes", { group: "parse" }, () => {
  parsePanes(panesOutput);
});
Deno.bench("findPane: last of 200 panes", { group: "panes" }, () => {
  findPane(panes, `${name(SESSIONS)}:0.0`);
});
Deno.bench("healthFromPanes: all 200 targets (reads /proc)", { group: "panes" }, () => {
  for (let i = 1; i <= SESSIONS; i++) healthFromPanes(panes, `${name(i)}:0.0`);
});
Deno.bench("summarizeSession: 200 sessions (list-sessions rows)", { group: "panes" }, () => {
  for (const [name, entry] of Object.entries(data.sessions)) {
    summarizeSession({ name, entry, status: "alive" });
  }
});
Deno.bench("parseRegistry: 200 sessions", { group: "registry" }, () => {
  parseRegistry(registryText, registryFile);
});
Deno.bench("serializeRegistry: 200 sessions", { group: "registry" }, () => {
  serializeRegistry(data);
});
Deno.bench("sessionNames: 200 sessions", { group: "registry" }, () => {
  sessionNames(data);
});
Deno.bench("timeAgo: 200 timestamps", { group: "registry" }, () => {
  for (let i = 0; i < SESSIONS; i++) timeAgo(now, nowEpoch);
});
Deno.bench("Registry.read: 200 sessions from disk", { group: "registry io" }, async () => {
  await registry.read();
});
let writes = 0;
Deno.bench(
  "Registry.update: locked read-modify-write, 200 sessions",
  { group: "registry io" },
  async () => {
    // A changing (top-level) field, so every iteration really rewrites the file.
    await registry.update((d) => {
      d.bench_writes = ++writes;
    });
  },
);
