import { deepEqual as assertEquals, equal, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { type Env } from "../lib/env.ts";
import {
  permissionFlags,
  permissionSet,
  staticPermissionFlags,
  TOOL_NAMES,
  type ToolName,
} from "../lib/permissions.ts";
import { multiToolPermissionFlags } from "../scripts/build.ts";
import { SHIM_MARKER } from "../scripts/install-shims.ts";
import { json, runProgram, Sandbox, type ToolResult, toolScript } from "./helpers.ts";

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
  const dist = join(box.root, "dist");

  await t.step("first install and a second one both succeed, with the bundles", async () => {
    equal((await installShims(dir, "--dist", dist)).code, 0);
    equal((await installShims(dir, "--dist", dist)).code, 0);
    for (const tool of TOOL_NAMES) {
      const info = await Deno.stat(join(dir, `${tool}.sh`));
      equal((info.mode! & 0o111) !== 0, true, `${tool}.sh is executable`);
      equal((await Deno.stat(join(dist, `${tool}.js`))).isFile, true, `${tool}.js is built`);
    }
  });

  await t.step("refuses to overwrite a foreign file unless --force", async () => {
    await Deno.writeTextFile(join(dir, "list-sessions.sh"), "#!/bin/sh\necho mine\n");
    const refused = await installShims(dir, "--dist", dist);
    equal(refused.code, 1);
    assertMatch(refused.stderr, /Refusing to overwrite .*list-sessions\.sh/);
    equal(await Deno.readTextFile(join(dir, "list-sessions.sh")), "#!/bin/sh\necho mine\n");
    equal((await installShims(dir, "--force", "--dist", dist)).code, 0);
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
    const fakeBin = await fakeDeno(box);
    const links = await linkedWorld(box.root);
    const envs: Env[] = [
      { CLAUDE_TMUX_SOCKET_DIR: "/s d/sock", HOME: "/h" },
      { HOME: "/home/u", TMPDIR: "/t" },
      { HOME: "/home/u", XDG_STATE_HOME: "/st", REGISTRY_LOCK: "/locks/l" },
      { REGISTRY_FILE: "/r/reg.json", HOME: "/h" },
      { CLAUDE_TMUX_REGISTRY: "/r2/reg.json", HOME: "/h" },
      // Symlinks on the way: their real paths are granted too (read).
      { HOME: links.home, TMPDIR: links.tmp },
      { CLAUDE_TMUX_SOCKET_DIR: join(links.sockets, "sockets"), HOME: "/h" },
      { REGISTRY_FILE: links.registry, REGISTRY_LOCK: join(links.home, "l/x.lock"), HOME: "/h" },
    ];
    for (const env of envs) {
      for (const tool of TOOL_NAMES) {
        const { argv } = await runFake(join(dir, `${tool}.sh`), fakeBin, env);
        assertEquals(argv.slice(0, 3), ["run", "--no-config", "--no-lock"], tool);
        equal(argv.at(-2), join(dist, `${tool}.js`));
        equal(argv.at(-1), "-h");
        assertEquals(
          flagSets(argv),
          flagSets(permissionFlags(tool, env)),
          `${tool} ${JSON.stringify(env)}`,
        );
      }
    }
    // The symlinked worlds above did grant something more than the paths as written.
    const linked = permissionFlags("list-sessions", { HOME: links.home, TMPDIR: links.tmp });
    assertMatch(linked.join(" "), /real-home\/\.local\/state\/claude-tmux/);
  });

  await t.step(
    "paths with a comma are granted through a config file's permission set",
    async () => {
      const fakeBin = await fakeDeno(box);
      const envs: Env[] = [
        { CLAUDE_TMUX_SOCKET_DIR: '/s,d/so"ck', HOME: "/h" },
        { HOME: "/home/a,b", TMPDIR: "/t" },
        { REGISTRY_FILE: "/r/reg.json", REGISTRY_LOCK: "/l,k/lock", HOME: "/h" },
      ];
      for (const env of envs) {
        for (const tool of TOOL_NAMES) {
          const expected = permissionSet(tool, env);
          const hasComma = [...expected.read ?? [], ...expected.write ?? []].some((p) =>
            p.includes(",")
          );
          const { argv, config } = await runFake(join(dir, `${tool}.sh`), fakeBin, env);
          if (!hasComma) {
            assertEquals(flagSets(argv), flagSets(permissionFlags(tool, env)), tool);
            continue;
          }
          assertEquals(argv.slice(0, 6), [
            "run",
            "--quiet",
            "--no-prompt",
            "--no-lock",
            "--config",
            argv[5],
          ]);
          assertEquals(argv.slice(6), ["-P", join(dist, `${tool}.js`), "-h"], tool);
          const set = JSON.parse(config).permissions.default;
          for (const kind of ["read", "write"] as const) {
            set[kind] = set[kind] && [...new Set(set[kind])].sort();
            expected[kind] = expected[kind] && [...new Set(expected[kind])].sort();
          }
          assertEquals(set, expected, `${tool} ${JSON.stringify(env)}`);
        }
      }
    },
  );
});

/** A fake `deno` for the shims to find first on PATH: prints its arguments, and any config file on stderr. */
async function fakeDeno(box: Sandbox): Promise<string> {
  const fakeBin = join(box.root, "fake-bin");
  await Deno.mkdir(fakeBin, { recursive: true });
  await Deno.writeTextFile(
    join(fakeBin, "deno"),
    '#!/bin/sh\nprintf "%s\\n" "$@"\n' +
      'while [ $# -gt 0 ]; do [ "$1" = --config ] && cat "$2" >&2; shift; done\n',
  );
  await Deno.chmod(join(fakeBin, "deno"), 0o755);
  return fakeBin;
}

/** Runs a shim with `-h` against the fake deno: the argv it would run deno with, and the config. */
async function runFake(shim: string, fakeBin: string, env: Env) {
  const out = await new Deno.Command(shim, {
    args: ["-h"],
    env: { PATH: `${fakeBin}:/usr/bin:/bin`, ...env } as Record<string, string>,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    argv: decoder.decode(out.stdout).trimEnd().split("\n"),
    config: decoder.decode(out.stderr),
  };
}

/**
 * Folders reached through symlinks, under `root`: a linked HOME, TMPDIR and
 * socket-folder parent (each to a private real folder), and a registry file
 * that is a symlink into another private folder.
 */
async function linkedWorld(root: string) {
  const link = async (name: string) => {
    await Deno.mkdir(join(root, `real-${name}`), { mode: 0o700 });
    await Deno.symlink(join(root, `real-${name}`), join(root, `link-${name}`));
    return join(root, `link-${name}`);
  };
  const home = await link("home");
  const tmp = await link("tmp");
  const sockets = await link("sockets");
  for (const dir of ["registry-dir", "other"]) await Deno.mkdir(join(root, dir), { mode: 0o700 });
  const target = join(root, "other", "reg.json");
  await Deno.writeTextFile(target, '{"sessions": {}, "version": "1.0"}\n', { mode: 0o600 });
  const registry = join(root, "registry-dir", ".sessions.json");
  await Deno.symlink(target, registry);
  return { home, tmp, sockets, registry, registryTarget: target };
}

Deno.test("each tool's shebang carries its own declared permissions", async () => {
  const shebangs: [string, string[]][] = [
    ...TOOL_NAMES.map((tool): [string, string[]] => [tool, staticPermissionFlags(tool)]),
    ["ctmux", multiToolPermissionFlags()],
  ];
  for (const [tool, flags] of shebangs) {
    const first = (await Deno.readTextFile(toolScript(tool))).split("\n")[0];
    equal(first, `#!/usr/bin/env -S deno run --quiet ${flags.join(" ")}`);
    const info = await Deno.stat(toolScript(tool));
    equal((info.mode! & 0o111) !== 0, true, `${tool}.ts is executable`);
  }
});

/** A world whose paths go through symlinks or hold a comma: its environment overrides. */
interface PathWorld {
  name: string;
  env: (box: Sandbox) => Promise<Record<string, string | undefined>>;
  /** Entries an old default registry holds, imported by the first call. */
  imported?: string[];
}

const PATH_WORLDS: PathWorld[] = [
  {
    name: "HOME a symlink (XDG default registry)",
    env: async (box) => ({
      HOME: (await linkedWorld(box.root)).home,
      XDG_STATE_HOME: undefined,
      CLAUDE_TMUX_SOCKET_DIR: undefined,
    }),
  },
  {
    name: "TMPDIR a symlink (socket folder and the old registry below it)",
    env: async (box) => {
      const tmp = (await linkedWorld(box.root)).tmp;
      await Deno.mkdir(join(tmp, "claude-tmux-sockets"), { mode: 0o700 });
      await Deno.writeTextFile(
        join(tmp, "claude-tmux-sockets", ".sessions.json"),
        JSON.stringify({
          sessions: { old: { socket: join(box.root, "gone.sock"), target: "old:0.0" } },
          version: "1.0",
        }),
        { mode: 0o600 },
      );
      return { TMPDIR: tmp, CLAUDE_TMUX_SOCKET_DIR: undefined };
    },
    imported: ["old"],
  },
  {
    name: "socket folder below a symlink",
    env: async (box) => ({
      CLAUDE_TMUX_SOCKET_DIR: join((await linkedWorld(box.root)).sockets, "sockets"),
    }),
  },
  {
    name: "registry file a symlink into another private folder",
    env: async (box) => ({ REGISTRY_FILE: (await linkedWorld(box.root)).registry }),
  },
  {
    name: "socket folder with a comma",
    env: (box) => Promise.resolve({ CLAUDE_TMUX_SOCKET_DIR: join(box.root, "a,b", "sockets") }),
  },
];

/** A session's life through `run`: create, list, run a command, list the socket folder, kill. */
async function sessionLife(
  run: (tool: ToolName, args: string[]) => Promise<ToolResult>,
  imported: string[] = [],
): Promise<void> {
  const expect = (r: ToolResult, code: number, what: string) => {
    equal(r.code, code, `${what}: exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r;
  };
  const names = (r: ToolResult) =>
    json<{ sessions: { name: string }[] }>(r).sessions.map((s) => s.name);
  const first = expect(await run("list-sessions", ["--json"]), 0, "list-sessions");
  assertEquals(names(first), imported);
  if (imported.length) assertMatch(first.stderr, /^Imported 1 session\(s\) from old registry /);
  const created = expect(await run("create-session", ["-n", "linked"]), 0, "create-session");
  equal(created.stderr, "");
  equal(json(created).registered, true);
  assertEquals(names(expect(await run("list-sessions", ["--json"]), 0, "list")), [
    "linked",
    ...imported,
  ]);
  const ran = expect(await run("run", ["-s", "linked", "-c", "echo out-$((6*7))"]), 0, "run");
  equal(ran.stdout, "out-42\n");
  assertMatch(
    expect(await run("find-sessions", ["-A"]), 0, "find-sessions").stdout,
    /^ {2}- linked \(detached, started /m,
  );
  assertMatch(
    expect(await run("kill-session", ["-s", "linked"]), 0, "kill-session").stdout,
    /^Session 'linked' fully removed$/m,
  );
  assertEquals(names(expect(await run("list-sessions", ["--json"]), 0, "last list")), imported);
}

Deno.test("the shims and shebang lines work where paths go through symlinks or hold a comma", async (t) => {
  await using shimBox = await Sandbox.create();
  const dir = join(shimBox.root, "bin");
  const installed = await installShims(dir, "--dist", join(shimBox.root, "dist"));
  equal(installed.code, 0, installed.stderr);
  const modular = join(shimBox.root, "modular");
  equal((await installShims(modular, "--modular")).code, 0);
  // The multi-tool program as a binary: tools/ctmux.ts has the compiled binary's flags.
  const multi = join(shimBox.root, "multi");
  equal((await installShims(multi, "--binary", join(ROOT, "tools/ctmux.ts"))).code, 0);
  const forms: [string, (tool: ToolName) => string][] = [
    ["installed shims (bundles)", (tool) => join(dir, `${tool}.sh`)],
    ["installed --modular shims", (tool) => join(modular, `${tool}.sh`)],
    ["shebang lines (tools/NAME.ts run as programs)", (tool) => toolScript(tool)],
    ["installed --binary shims running ctmux", (tool) => join(multi, `${tool}.sh`)],
  ];
  for (const world of PATH_WORLDS) {
    for (const [form, program] of forms) {
      await t.step(`${world.name}: ${form}`, async () => {
        await using box = await Sandbox.create();
        const env = box.toolEnv(await world.env(box));
        await sessionLife(
          (tool, args) => runProgram(program(tool), args, { env, cwd: box.root }),
          world.imported,
        );
      });
    }
  }
});
