/**
 * A long-lived reader's registry cache (`Registry` with `cache: true`, what
 * a persistent Context uses) never serves a stale registry: any process's
 * write replaces the file, and a file written moments before it was read is
 * read again.
 */
import { deepEqual } from "node:assert/strict";
import { Registry } from "../lib/registry.ts";
import { pickToolkitEnv, Sandbox, testEntry } from "./helpers.ts";

Deno.test("a cached registry sees every write of another process", async () => {
  await using box = await Sandbox.create();
  const registry = new Registry({ env: pickToolkitEnv(box.env), cache: true, notice: () => {} });
  const names = async () => Object.keys((await registry.read()).sessions).sort();
  deepEqual(await names(), []);

  // Rewrites of the same size right after each other (a fresh file is never reused).
  await box.writeSessions({ a1: testEntry("/s", "a1:0.0") });
  deepEqual(await names(), ["a1"]);
  await box.writeSessions({ b2: testEntry("/s", "b2:0.0") });
  deepEqual(await names(), ["b2"]);

  // An old file is reused until it is replaced.
  let old = new Date(Date.now() - 60_000);
  await Deno.utime(box.registryFile, old, old);
  deepEqual(await names(), ["b2"]);
  deepEqual(await names(), ["b2"]);
  await box.writeSessions({ c3: testEntry("/s", "c3:0.0") });
  deepEqual(await names(), ["c3"]);
  // The same file (same inode, same size) rewritten in place: its new time tells.
  old = new Date(Date.now() - 30_000);
  await Deno.utime(box.registryFile, old, old);
  deepEqual(await names(), ["c3"]);
  await Deno.writeTextFile(
    box.registryFile,
    JSON.stringify({ sessions: { d4: testEntry("/s", "d4:0.0") }, version: "1.0" }, null, 2) + "\n",
  );
  deepEqual(await names(), ["d4"]);

  // Returned data is the caller's own.
  delete (await registry.read()).sessions.d4;
  deepEqual(await names(), ["d4"]);
});
