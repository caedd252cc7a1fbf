import {
  deepEqual as assertEquals,
  equal,
  match as assertMatch,
  ok,
  throws as assertThrows,
} from "node:assert/strict";
import { join } from "node:path";
import { resolvePaths } from "../lib/env.ts";
import { UnsafePathError } from "../lib/errors.ts";
import { checkPrivateDir, checkPrivateFile, ensureSocketDir } from "../lib/safety.ts";
import { rootStep, Sandbox } from "./helpers.ts";

const NOBODY = 65534;

function unsafe(check: () => unknown, pattern: RegExp): void {
  let error: unknown;
  try {
    check();
  } catch (thrown) {
    error = thrown;
  }
  ok(error instanceof UnsafePathError, `got ${error}`);
  assertMatch(error.message, pattern);
  equal(error.message.includes("\n"), false, "one line");
}

Deno.test("checkPrivateDir and checkPrivateFile", async (t) => {
  await using box = await Sandbox.create();
  const dir = join(box.root, "d");
  const file = join(box.root, "f.json");

  await t.step("missing: false; ours and not group/other-writable: true", async () => {
    equal(await checkPrivateDir(dir), false);
    equal(await checkPrivateFile(file), false);
    await Deno.mkdir(dir, { mode: 0o755 });
    await Deno.chmod(dir, 0o755);
    await Deno.writeTextFile(file, "{}", { mode: 0o644 });
    equal(await checkPrivateDir(dir), true);
    equal(await checkPrivateFile(file), true);
  });

  await rootStep(t, "owned by another user: refused, naming path, owner and role", async () => {
    await Deno.chown(dir, NOBODY, NOBODY);
    unsafe(
      () => checkPrivateDir(dir, "socket directory"),
      new RegExp(
        `^Refusing to use socket directory ${dir}: owned by uid ${NOBODY}, not by you ` +
          `\\(uid ${Deno.uid()}\\)`,
      ),
    );
    await Deno.chown(file, NOBODY, NOBODY);
    unsafe(() => checkPrivateFile(file, "registry"), /^Refusing to use registry .*uid 65534/);
    await Deno.chown(dir, Deno.uid(), Deno.gid());
    await Deno.chown(file, Deno.uid(), Deno.gid());
  });

  await t.step("writable by group or others: refused with the fix", async () => {
    await Deno.chmod(dir, 0o777);
    unsafe(
      () => checkPrivateDir(dir),
      new RegExp(
        `^Refusing to use directory ${dir}: writable by group and others \\(mode 0777\\); ` +
          `fix with: chmod go-w ${dir}$`,
      ),
    );
    await Deno.chmod(dir, 0o1777);
    unsafe(() => checkPrivateDir(dir), /writable by group and others \(mode 1777\)/);
    await Deno.chmod(dir, 0o757);
    unsafe(() => checkPrivateDir(dir), /writable by others \(mode 0757\)/);
    await Deno.chmod(file, 0o620);
    unsafe(() => checkPrivateFile(file), /writable by group \(mode 0620\)/);
    await Deno.chmod(dir, 0o700);
    await Deno.chmod(file, 0o600);
    equal(await checkPrivateDir(dir), true);
    equal(await checkPrivateFile(file), true);
  });

  await t.step("a file where a directory should be: refused", () => {
    unsafe(() => checkPrivateDir(file, "socket directory"), /: not a directory$/);
  });

  await rootStep(t, "symlinks: followed when ours, refused when another user's", async () => {
    const link = join(box.root, "link");
    await Deno.symlink(dir, link);
    equal(await checkPrivateDir(link), true);
    const lchown = await new Deno.Command("chown", { args: ["-h", `${NOBODY}:${NOBODY}`, link] })
      .output();
    equal(lchown.code, 0);
    equal((await Deno.lstat(link)).uid, NOBODY);
    unsafe(() => checkPrivateDir(link), /a symlink owned by uid 65534/);
    // Ours, but pointing at someone else's directory: the target decides.
    const theirs = join(box.root, "theirs");
    await Deno.mkdir(theirs);
    await Deno.chown(theirs, NOBODY, NOBODY);
    const link2 = join(box.root, "link2");
    await Deno.symlink(theirs, link2);
    unsafe(() => checkPrivateDir(link2), /owned by uid 65534/);
  });
});

Deno.test("ensureSocketDir creates 0700 or refuses someone else's directory", async (t) => {
  await using box = await Sandbox.create();

  await t.step("creates missing parents and the directory with mode 0700", async () => {
    const paths = resolvePaths({ CLAUDE_TMUX_SOCKET_DIR: join(box.root, "a", "b", "sockets") });
    await ensureSocketDir(paths);
    equal((await Deno.stat(paths.socketDir)).mode! & 0o777, 0o700);
    equal((await Deno.stat(join(box.root, "a"))).mode! & 0o777, 0o700);
    await ensureSocketDir(paths); // idempotent
  });

  await t.step(
    "an existing directory of ours without group/other write is kept as is",
    async () => {
      const socketDir = join(box.root, "existing");
      await Deno.mkdir(socketDir);
      await Deno.chmod(socketDir, 0o755);
      await ensureSocketDir({ socketDir });
      equal((await Deno.stat(socketDir)).mode! & 0o777, 0o755);
    },
  );

  await rootStep(
    t,
    "a pre-created /tmp/claude-tmux-sockets of another user is refused",
    async () => {
      // The attack: someone else creates the default socket dir (and a server in it).
      const tmp = join(box.root, "tmp");
      const planted = join(tmp, "claude-tmux-sockets");
      await Deno.mkdir(planted, { mode: 0o755 });
      await Deno.chown(planted, NOBODY, NOBODY);
      const paths = resolvePaths({ TMPDIR: tmp, HOME: box.env.HOME });
      equal(paths.socketDir, planted);
      unsafe(
        () => ensureSocketDir(paths),
        new RegExp(`^Refusing to use socket directory ${planted}: owned by uid ${NOBODY}`),
      );
      assertEquals([...Deno.readDirSync(planted)], [], "nothing was created in it");
    },
  );

  await t.step("a world-writable socket directory is refused", async () => {
    const socketDir = join(box.root, "open");
    await Deno.mkdir(socketDir);
    await Deno.chmod(socketDir, 0o777);
    unsafe(() => ensureSocketDir({ socketDir }), /writable by group and others/);
  });

  await t.step("works with create-session's declared permissions", async () => {
    const code = `import { ensureSocketDir } from ${
      JSON.stringify(new URL("../lib/safety.ts", import.meta.url).href)
    };
import { resolvePaths } from ${JSON.stringify(new URL("../lib/env.ts", import.meta.url).href)};
await ensureSocketDir(resolvePaths());`;
    const script = join(box.root, "ensure.ts");
    await Deno.writeTextFile(script, code);
    const r = await box.run("create-session", [], { script });
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    equal((await Deno.stat(box.socketDir)).mode! & 0o777, 0o700);
    await Deno.chmod(box.socketDir, 0o777);
    const bad = await box.run("create-session", [], { script });
    notZero(bad.code);
    assertMatch(bad.stderr, /UnsafePathError: Refusing to use socket directory/);
  });

  await t.step("a path under a regular file is an error, not a pass", async () => {
    const blocker = join(box.root, "blocker");
    await Deno.writeTextFile(blocker, "");
    assertThrows(() => ensureSocketDir({ socketDir: join(blocker, "x") }));
    unsafe(() => ensureSocketDir({ socketDir: blocker }), /: not a directory$/);
  });
});

function notZero(code: number): void {
  ok(code !== 0, `exit ${code}`);
}
