/**
 * The suite does not depend on the machine: the user's `~/.bashrc` (which
 * may run `pyenv rehash` against a stale lock, sleep or print) never runs in
 * a test's pane. Every pane starts with the sandbox's HOME.
 */
import { equal } from "node:assert/strict";
import { join } from "node:path";
import { DENO_DIR } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("a ~/.bashrc that sleeps 30 s and prints junk does not reach the library tests", async () => {
  const home = await Deno.makeTempDir({ prefix: "ctmux-user-home-" });
  try {
    const ran = join(home, "bashrc-ran");
    await Deno.writeTextFile(
      join(home, ".bashrc"),
      `: > '${ran}'\necho 'junk from the user bashrc'\nprintf '\\033[2J>>> $ (gdb) '\nsleep 30\n`,
    );
    // library_test.ts runs the library in-process, with the test runner's own environment.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["test", "--allow-all", join(ROOT, "tests", "library_test.ts")],
      env: { ...Deno.env.toObject(), HOME: home, DENO_DIR },
      clearEnv: true,
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // Only so a broken run fails instead of hanging the suite (not a timing assertion).
    const guard = setTimeout(() => child.kill("SIGKILL"), 180_000);
    const out = await child.output();
    clearTimeout(guard);
    const decoder = new TextDecoder();
    const report = `${decoder.decode(out.stdout)}\n${decoder.decode(out.stderr)}`;
    equal(await Deno.stat(ran).then(() => true, () => false), false, "the user's .bashrc ran");
    equal(out.code, 0, report);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
