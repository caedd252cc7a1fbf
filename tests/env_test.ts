import { deepEqual as assertEquals, equal, ok, throws } from "node:assert/strict";
import { lockTimeoutSeconds, nowEpochSeconds, resolvePaths } from "../lib/env.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("resolvePaths follows docs/compat.md 'Files'", async (t) => {
  await t.step("nothing set: /tmp socket dir, XDG registry under HOME, legacy import path", () => {
    assertEquals(resolvePaths({ HOME: "/home/u" }), {
      socketDir: "/tmp/claude-tmux-sockets",
      defaultSocket: "/tmp/claude-tmux-sockets/claude.sock",
      registryFile: "/home/u/.local/state/claude-tmux/.sessions.json",
      lockFile: "/home/u/.local/state/claude-tmux/.sessions.lock",
      legacyRegistryFile: "/tmp/claude-tmux-sockets/.sessions.json",
    });
  });

  await t.step("TMPDIR and XDG_STATE_HOME move the defaults", () => {
    assertEquals(resolvePaths({ HOME: "/h", TMPDIR: "/t", XDG_STATE_HOME: "/st" }), {
      socketDir: "/t/claude-tmux-sockets",
      defaultSocket: "/t/claude-tmux-sockets/claude.sock",
      registryFile: "/st/claude-tmux/.sessions.json",
      lockFile: "/st/claude-tmux/.sessions.lock",
      legacyRegistryFile: "/t/claude-tmux-sockets/.sessions.json",
    });
  });

  await t.step("CLAUDE_TMUX_SOCKET_DIR: registry in it, as the bash tools, no import", () => {
    assertEquals(resolvePaths({ CLAUDE_TMUX_SOCKET_DIR: "/s d", HOME: "/h", TMPDIR: "/t" }), {
      socketDir: "/s d",
      defaultSocket: "/s d/claude.sock",
      registryFile: "/s d/.sessions.json",
      lockFile: "/s d/.sessions.lock",
      legacyRegistryFile: undefined,
    });
  });

  await t.step("REGISTRY_FILE and its alias CLAUDE_TMUX_REGISTRY; lock beside it", () => {
    for (const name of ["REGISTRY_FILE", "CLAUDE_TMUX_REGISTRY"] as const) {
      const p = resolvePaths({ [name]: "/r/reg.json", CLAUDE_TMUX_SOCKET_DIR: "/s", HOME: "/h" });
      equal(p.registryFile, "/r/reg.json", name);
      equal(p.lockFile, "/r/.sessions.lock", name);
      equal(p.socketDir, "/s", name);
      equal(p.legacyRegistryFile, undefined, `${name}: an explicit registry imports nothing`);
    }
    // Both set: the original's REGISTRY_FILE (install-shims grants the same one).
    equal(
      resolvePaths({ REGISTRY_FILE: "/a.json", CLAUDE_TMUX_REGISTRY: "/b.json" }).registryFile,
      "/a.json",
    );
  });

  await t.step("REGISTRY_LOCK is used as given", () => {
    equal(resolvePaths({ HOME: "/h", REGISTRY_LOCK: "/l/my.lock" }).lockFile, "/l/my.lock");
  });

  await t.step("empty values count as unset", () => {
    assertEquals(
      resolvePaths({
        HOME: "/h",
        TMPDIR: "",
        CLAUDE_TMUX_SOCKET_DIR: "",
        REGISTRY_FILE: "",
        CLAUDE_TMUX_REGISTRY: "",
        REGISTRY_LOCK: "",
        XDG_STATE_HOME: "",
      }),
      resolvePaths({ HOME: "/h" }),
    );
  });
});

Deno.test("LOCK_TIMEOUT: seconds, default 5, a bad value is an error", () => {
  equal(lockTimeoutSeconds({}), 5);
  equal(lockTimeoutSeconds({ LOCK_TIMEOUT: "1" }), 1);
  equal(lockTimeoutSeconds({ LOCK_TIMEOUT: "0.5" }), 0.5);
  equal(lockTimeoutSeconds({ LOCK_TIMEOUT: "0" }), 0);
  equal(lockTimeoutSeconds({ LOCK_TIMEOUT: "" }), 5);
  for (const bad of ["soon", "-1", "1e3", "5s", "Infinity", "9".repeat(400)]) {
    throws(() => lockTimeoutSeconds({ LOCK_TIMEOUT: bad }), UsageError, bad);
  }
});

Deno.test("NOW_EPOCH fixes 'now'; otherwise the clock", () => {
  equal(nowEpochSeconds({ NOW_EPOCH: "1700000000" }), 1700000000);
  const before = Math.floor(Date.now() / 1000);
  const now = nowEpochSeconds({ NOW_EPOCH: "yesterday" });
  const after = Math.floor(Date.now() / 1000);
  ok(now >= before && now <= after, `${now} within [${before}, ${after}]`);
  equal(Number.isInteger(nowEpochSeconds({})), true);
});

Deno.test("processEnv reads exactly the toolkit's variables", async () => {
  // In a child with a clean environment plus one unrelated variable.
  const code = `import { processEnv } from ${
    JSON.stringify(new URL("../lib/env.ts", import.meta.url).href)
  };
console.log(JSON.stringify(processEnv()));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    env: {
      HOME: "/h",
      LOCK_TIMEOUT: "3",
      NOT_OURS: "x",
      DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
    },
    clearEnv: true,
  }).output();
  equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), { LOCK_TIMEOUT: "3", HOME: "/h" });
});
