import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { type Env } from "../lib/env.ts";
import { permissionFlags, staticPermissionFlags, TOOL_NAMES } from "../lib/permissions.ts";
import { SHIM_MARKER } from "../scripts/install-shims.ts";
import { Sandbox, toolScript } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const decoder = new TextDecoder();

async function installShims(dir: string, ...extra: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts/install-shims.ts"), dir, ...extra],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: decoder.decode(out.stderr) };
}

/** Splits `--allow-x=a,b` flags into comparable sets. */
function flagSets(flags: string[]): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const flag of flags) {
    const [name, value = ""] = flag.split("=", 2);
    if (!name.startsWith("--allow-")) continue;
    sets[name] = [...new Set(value.split(",").filter(Boolean))].sort();
  }
  return sets;
}

Deno.test("install-shims writes one executable shim per tool, idempotently", async (t) => {
  await using box = await Sandbox.create();
  const dir = join(box.root, "bin");

  await t.step("first install and a second one both succeed", async () => {
    equal((await installShims(dir)).code, 0);
    equal((await installShims(dir)).code, 0);
    for (const tool of TOOL_NAMES) {
      const info = await Deno.stat(join(dir, `${tool}.sh`));
      equal((info.mode! & 0o111) !== 0, true, `${tool}.sh is executable`);
    }
  });

  await t.step("refuses to overwrite a foreign file unless --force", async () => {
    await Deno.writeTextFile(join(dir, "list-sessions.sh"), "#!/bin/sh\necho mine\n");
    const refused = await installShims(dir);
    equal(refused.code, 1);
    assertMatch(refused.stderr, /Refusing to overwrite .*list-sessions\.sh/);
    equal(await Deno.readTextFile(join(dir, "list-sessions.sh")), "#!/bin/sh\necho mine\n");
    equal((await installShims(dir, "--force")).code, 0);
    assertMatch(await Deno.readTextFile(join(dir, "list-sessions.sh")), new RegExp(SHIM_MARKER));
  });

  await t.step("a shim passes arguments and the exit code through, from any folder", async () => {
    const sock = box.socket();
    await box.newSession(sock, "shimmed");
    const out = await new Deno.Command(join(dir, "pane-health.sh"), {
      args: ["-S", sock, "-t", "shimmed", "--format", "text"],
      env: box.env,
      clearEnv: true,
      cwd: "/",
      stdout: "piped",
    }).output();
    equal(out.code, 0);
    assertMatch(decoder.decode(out.stdout), /^Pane shimmed is healthy/);
    const missing = await new Deno.Command(join(dir, "pane-health.sh"), {
      args: ["-S", sock, "-t", "nope"],
      env: box.env,
      clearEnv: true,
      cwd: "/",
      stdout: "null",
    }).output();
    equal(missing.code, 2);
  });

  await t.step("a shim grants exactly the permissions lib/permissions.ts declares", async () => {
    // A fake deno first on PATH prints the flags the shim would run with.
    const fakeBin = join(box.root, "fake-bin");
    await Deno.mkdir(fakeBin);
    await Deno.writeTextFile(join(fakeBin, "deno"), '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    await Deno.chmod(join(fakeBin, "deno"), 0o755);
    const envs: Env[] = [
      { CLAUDE_TMUX_SOCKET_DIR: "/s d/sock", HOME: "/h" },
      { HOME: "/home/u", TMPDIR: "/t" },
      { HOME: "/home/u", XDG_STATE_HOME: "/st", REGISTRY_LOCK: "/locks/l" },
      { REGISTRY_FILE: "/r/reg.json", HOME: "/h" },
      { CLAUDE_TMUX_REGISTRY: "/r2/reg.json", HOME: "/h" },
    ];
    for (const env of envs) {
      for (const tool of TOOL_NAMES) {
        const out = await new Deno.Command(join(dir, `${tool}.sh`), {
          args: ["-h"],
          env: { PATH: `${fakeBin}:/usr/bin:/bin`, ...env } as Record<string, string>,
          clearEnv: true,
          stdout: "piped",
        }).output();
        const argv = decoder.decode(out.stdout).trimEnd().split("\n");
        equal(argv.at(-2), toolScript(tool));
        equal(argv.at(-1), "-h");
        assertEquals(
          flagSets(argv),
          flagSets(permissionFlags(tool, env)),
          `${tool} ${JSON.stringify(env)}`,
        );
      }
    }
  });
});

Deno.test("each tool's shebang carries its own declared permissions", async () => {
  for (const tool of TOOL_NAMES) {
    const first = (await Deno.readTextFile(toolScript(tool))).split("\n")[0];
    equal(first, `#!/usr/bin/env -S deno run --quiet ${staticPermissionFlags(tool).join(" ")}`);
    const info = await Deno.stat(toolScript(tool));
    equal((info.mode! & 0o111) !== 0, true, `${tool}.ts is executable`);
  }
});
