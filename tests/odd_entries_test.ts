/**
 * Odd registry entries (written by other tools or by hand): an entry
 * without `target`, with no fields, with a non-string socket, or that is
 * not an object at all. Each is named in one line by the tools that need
 * it (status `invalid` in list-sessions, removed by cleanup-sessions,
 * refused by look-ups of its name); the other entries keep working; no
 * JavaScript error text reaches a user; and no rewrite drops a bad entry's
 * fields except the cleanup that removes it.
 */
import { deepEqual as assertEquals, equal, match as assertMatch, ok } from "node:assert/strict";
import { LOOKUP_EXIT } from "./fixtures/exit_codes.ts";
import { assertCleanFailure, pooled, runGuarded } from "./fixtures/guarded_run.ts";
import { json, Sandbox, testEntry } from "./helpers.ts";
import type { ToolName } from "../lib/permissions.ts";

/** Odd entries, and the problem each is named with. */
const ODD: Record<string, [unknown, RegExp]> = {
  "no-target": [{ socket: "/s.sock", type: "shell", note: "kept" }, /'target' is missing/],
  "no-fields": [{}, /'socket' is missing/],
  "number-socket": [{ socket: 42, target: "x:0.0", pid: 7 }, /'socket' is not a string/],
  "empty-target": [{ socket: "/s.sock", target: "" }, /'target' is empty/],
  "a-string": ["just text", /it is a string, not an object/],
  "a-null": [null, /it is null, not an object/],
  "an-array": [[1, 2], /it is an array, not an object/],
};
const ODD_NAMES = Object.keys(ODD);
const oddSessions = () => Object.fromEntries(ODD_NAMES.map((name) => [name, ODD[name][0]]));

/** Each single-pane tool looking a name up. */
const LOOKUPS: [ToolName, (name: string) => string[]][] = [
  ["pane-health", (name) => ["-s", name]],
  ["safe-send", (name) => ["-s", name, "-c", "echo hi"]],
  ["wait-for-text", (name) => ["-s", name, "-p", "x", "-T", "1"]],
  ["capture-pane", (name) => ["-s", name]],
  ["run", (name) => ["-s", name, "-c", "echo hi"]],
  ["kill-session", (name) => ["-s", name]],
];

/** A live registered session `good` among the odd entries. */
async function world(box: Sandbox): Promise<string> {
  const sock = box.socket("live.sock");
  await box.newSession(sock, "good");
  await box.writeSessions({ good: testEntry(sock, "good:0.0"), ...oddSessions() });
  return sock;
}

Deno.test("odd registry entries are named, never crash a tool, never break the others", async (t) => {
  await using box = await Sandbox.create();
  const sock = await world(box);
  const before = await Deno.readFile(box.registryFile);

  await t.step("a look-up of an odd entry: its name and problem, the lookup code", async () => {
    const cases = ODD_NAMES.flatMap((name) =>
      LOOKUPS.map(([tool, args]) => ({ name, tool, args }))
    );
    const results = await pooled(
      4,
      cases.map(({ tool, args, name }) => () => runGuarded(box, tool, args(name))),
    );
    cases.forEach(({ name, tool }, i) => {
      const r = results[i];
      assertCleanFailure(r, {
        code: LOOKUP_EXIT[tool],
        // kill-session keeps the original's words, then says what is wrong.
        stderr: tool === "kill-session"
          ? new RegExp(`^Error: Invalid session data in registry for '${name}': `)
          : new RegExp(`^Error: Session '${name}' in registry .* is not usable: `),
      }, `${tool} -s ${name}`);
      assertMatch(r.stderr, ODD[name][1], `${tool} -s ${name}`);
      ok(!/Cannot read|undefined|TypeError/.test(r.stderr), r.stderr);
    });
    assertEquals(await Deno.readFile(box.registryFile), before, "nothing written");
    equal(await box.tmuxRaw(box.tmuxDefaultSocket, "list-sessions").then((r) => r.code), 1);
  });

  await t.step("the good entry keeps working beside them (and is touched)", async () => {
    const r = await box.run("pane-health", ["-s", "good"]);
    assertEquals([r.code, r.stderr, json(r).status], [0, "", "healthy"]);
    const { sessions } = await box.registry();
    ok(sessions.good.last_active !== testEntry(sock, "good:0.0").last_active, "touched");
    const run = await box.run("run", ["-s", "good", "-c", "echo fine"]);
    assertEquals([run.code, run.stdout, run.stderr], [0, "fine\n", ""]);
  });

  await t.step("a rewrite for another entry keeps every odd entry as it was", async () => {
    const r = await box.run("create-session", ["-n", "fresh", "-S", sock]);
    equal(r.code, 0, r.stderr);
    const { sessions } = await box.registry();
    assertEquals(Object.fromEntries(ODD_NAMES.map((n) => [n, sessions[n]])), oddSessions());
    ok(Object.hasOwn(sessions, "fresh") && Object.hasOwn(sessions, "good"));
  });

  await t.step("list-sessions: status invalid, in the table and the JSON", async () => {
    const r = await box.run("list-sessions", ["--json"]);
    assertEquals([r.code, r.stderr], [0, ""]);
    const out = json<{ sessions: { name: string; status: string }[]; alive: number }>(r);
    const status = Object.fromEntries(out.sessions.map((s) => [s.name, s.status]));
    for (const name of ODD_NAMES) equal(status[name], "invalid", name);
    assertEquals([status.good, status.fresh, out.alive], ["alive", "alive", 2]);
    const table = await box.run("list-sessions", []);
    assertEquals([table.code, table.stderr], [0, ""]);
    for (const name of ODD_NAMES) {
      assertMatch(table.stdout, new RegExp(`^${name} .* invalid {4}`, "m"), name);
    }
  });

  await t.step("cleanup-sessions removes them, and only them, saying why", async () => {
    const dry = await box.run("cleanup-sessions", ["--dry-run"]);
    assertEquals([dry.code, dry.stderr], [0, ""]);
    const lines = [...ODD_NAMES].sort().map((n) => `  - ${n} (invalid entry)`);
    equal(
      dry.stdout,
      [`Dry-run mode: Would remove ${lines.length} session(s):`, ...lines, ""].join("\n"),
    );
    const r = await box.run("cleanup-sessions", []);
    assertEquals([r.code, r.stderr], [0, ""]);
    assertMatch(r.stdout, new RegExp(`^Removing ${lines.length} session\\(s\\):\n`));
    assertEquals(Object.keys((await box.registry()).sessions).sort(), ["fresh", "good"]);
  });
});

Deno.test("auto-detection of the only session, when it is odd, names it", async () => {
  await using box = await Sandbox.create();
  await box.writeSessions({ lone: { target: "lone:0.0" } });
  for (const [tool, args] of LOOKUPS) {
    const r = await runGuarded(box, tool, args("").slice(2));
    assertCleanFailure(r, {
      code: LOOKUP_EXIT[tool],
      stderr: tool === "kill-session"
        ? /^Error: Invalid session data in registry for 'lone': 'socket' is missing/
        : /^Error: Session 'lone' in registry .* is not usable: 'socket' is missing /,
    }, tool);
  }
});
