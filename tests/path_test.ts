import { equal } from "node:assert/strict";
import * as node from "node:path";
import { basename, dirname, join, normalize, resolve } from "../lib/path.ts";

const PATHS = [
  "",
  "/",
  "//",
  ".",
  "..",
  "a",
  "a/",
  "/a",
  "/a/",
  "/a/b",
  "/a/b/",
  "a/b/c",
  "./a",
  "../a",
  "a/../b",
  "a/../../b",
  "/a/../../b",
  "/a//b///c",
  "/tmp/claude-tmux-sockets/.sessions.json",
  "rel/sock.sock",
  "/a/./b/.",
  "/a//b",
  "x/..",
];

Deno.test("lib/path.ts gives node:path's results", async (t) => {
  await t.step("normalize, dirname and basename", () => {
    for (const p of PATHS) {
      equal(normalize(p), node.normalize(p), `normalize(${JSON.stringify(p)})`);
      equal(dirname(p), node.dirname(p), `dirname(${JSON.stringify(p)})`);
      equal(basename(p), node.basename(p), `basename(${JSON.stringify(p)})`);
    }
  });
  await t.step("join of pairs", () => {
    for (const a of PATHS) {
      for (const b of ["", "b", "/b", "../b", ".sessions.lock", "x/"]) {
        equal(join(a, b), node.join(a, b), `join(${JSON.stringify(a)}, ${JSON.stringify(b)})`);
      }
    }
  });
  await t.step("resolve against the cwd", () => {
    for (const p of PATHS) {
      equal(resolve(p), node.resolve(p), `resolve(${JSON.stringify(p)})`);
      equal(
        resolve("/base", p),
        node.resolve("/base", p),
        `resolve("/base", ${JSON.stringify(p)})`,
      );
    }
  });
});
