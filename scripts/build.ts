/**
 * `deno task bundle`: `dist/NAME.js`, one self-contained file per tool.
 * `deno task compile`: `dist/bin/NAME`, one binary per tool, and
 * `dist/bin/ctmux`, all ten tools in one binary (`tools/ctmux.ts`), with the
 * declared permissions baked in. `deno compile` needs the denort runtime; it
 * uses `DENORT_BIN` when set, and where the download fails it says so in one
 * line and exits non-zero. Every binary is run before the build is called
 * done (`--help`, then one real call in a private temp world): one that is
 * not the tool (a `DENORT_BIN` that is not denort makes `deno compile` write
 * the deno CLI itself) is removed and reported in one line, exit 1.
 *
 *     deno run -A scripts/build.ts bundle|compile [--out DIR] [TOOL|ctmux...]
 *
 * `--out DIR` writes there instead of `dist/` (binaries: `DIR/bin/`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  basePermissionSet,
  staticPermissionFlags,
  TOOL_NAMES,
  type ToolName,
} from "../lib/permissions.ts";

const ROOT = resolve(new URL("..", import.meta.url).pathname);
const decoder = new TextDecoder();

/** The multi-tool entry point: `ctmux TOOL ARGS...`, or named `TOOL.sh`. */
export const MULTI_TOOL = "ctmux";

/** What `deno task compile` can build: a tool, or the multi-tool binary. */
export type Target = ToolName | typeof MULTI_TOOL;

async function deno(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "inherit",
    env: { NO_COLOR: "1" },
  }).output();
  return { ok: out.success, stderr: decoder.decode(out.stderr) };
}

/**
 * Writes `dist/NAME.js` for each tool; each file appears whole (bundled into
 * a temp folder, then renamed), so a shim running meanwhile never reads half
 * of one. Returns the exit code.
 */
export async function bundle(
  dist: string,
  tools: readonly ToolName[],
  options: { quiet?: boolean } = {},
): Promise<number> {
  await Deno.mkdir(dist, { recursive: true });
  const tmp = await Deno.makeTempDir({ dir: dist, prefix: ".bundle-" });
  try {
    for (const tool of tools) {
      const out = join(dist, `${tool}.js`);
      const part = join(tmp, `${tool}.js`);
      const r = await deno(["bundle", "--quiet", "-o", part, join("tools", `${tool}.ts`)]);
      if (!r.ok) {
        console.error(`bundle of ${tool} failed: ${r.stderr.trim().split("\n")[0]}`);
        return 1;
      }
      await Deno.rename(part, out);
      if (!options.quiet) console.error(`bundled ${out}`);
    }
    return 0;
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Flags of the multi-tool binary: what any of the ten tools may do (see README, Builds). */
export function multiToolPermissionFlags(): string[] {
  // One --allow-run with every tool's programs (Deno keeps only one of several).
  const run = new Set(TOOL_NAMES.flatMap((tool) => basePermissionSet(tool).run));
  const flags = TOOL_NAMES.flatMap((tool) => staticPermissionFlags(tool))
    .map((flag) => flag.startsWith("--allow-run=") ? `--allow-run=${[...run].join(",")}` : flag);
  return [...new Set(flags)];
}

async function compile(dist: string, targets: readonly Target[]): Promise<number> {
  const bin = join(dist, "bin");
  await Deno.mkdir(bin, { recursive: true });
  const runtime = Deno.env.get("DENORT_BIN");
  for (const target of targets) {
    const out = join(bin, target);
    // Permissions baked into a binary can't follow $HOME at run time.
    const flags = target === MULTI_TOOL
      ? multiToolPermissionFlags()
      : staticPermissionFlags(target);
    const r = await deno([
      "compile",
      "--quiet",
      ...flags,
      "-o",
      out,
      join("tools", `${target}.ts`),
    ]);
    if (!r.ok) {
      const why = /dl\.deno\.land|denort|error sending request|dns error/i.test(r.stderr)
        ? `deno compile could not download its runtime (denort)${
          runtime ? ` and DENORT_BIN=${runtime} did not work` : ""
        }: set DENORT_BIN to a local denort binary of deno ${Deno.version.deno}`
        : r.stderr.trim().split("\n").find((l) => /error/i.test(l)) ?? "unknown error";
      console.error(`compile of ${target} failed: ${why}`);
      return 1;
    }
    const wrong = await verifyBinary([out], target);
    if (wrong !== undefined) {
      await Deno.remove(out).catch(() => {});
      const cause = runtime
        ? `; DENORT_BIN=${runtime} is not the denort runtime of deno ${Deno.version.deno}`
        : "";
      console.error(`compile of ${target} failed: ${out} ${wrong}${cause}`);
      return 1;
    }
    console.error(`compiled ${out} (checked: --help and one call)`);
  }
  return 0;
}

/** One call of a tool in an empty private world, and what it must give. */
interface Probe {
  args: string[];
  code: number;
  stdout: RegExp;
}

/** A call per tool that needs no tmux server, with its documented outcome. */
const PROBES: Record<ToolName, Probe> = {
  "create-session": { args: ["-n", "a.b"], code: 1, stdout: /^$/ },
  "list-sessions": { args: ["--json"], code: 0, stdout: /^\{"sessions": \[\], "total": 0,/ },
  "pane-health": {
    args: ["-S", "{world}/none.sock", "-t", "x"],
    code: 4,
    stdout: /"status": "server_not_running"/,
  },
  "kill-session": { args: ["--dry-run"], code: 2, stdout: /^$/ },
  "cleanup-sessions": { args: ["--dry-run"], code: 0, stdout: /^No sessions in registry\.$/m },
  "find-sessions": { args: ["-A"], code: 1, stdout: /^$/ },
  "safe-send": { args: ["-S", "{world}/none.sock", "-t", "x", "-c", "y"], code: 3, stdout: /^$/ },
  "wait-for-text": { args: ["-p", "x"], code: 1, stdout: /^$/ },
  "capture-pane": { args: ["-S", "{world}/none.sock", "-t", "x"], code: 4, stdout: /^$/ },
  "run": { args: ["-S", "{world}/none.sock", "-t", "x", "-c", "y"], code: 3, stdout: /^$/ },
};

/**
 * Runs a built binary (`command`: its path, and any arguments before the
 * tool's): `--help` must print the tool's usage, and one call in an empty
 * temp world must give the tool's documented exit code and output (the
 * multi-tool binary is checked as `ctmux list-sessions`). Returns what is
 * wrong, or undefined when it is the tool.
 */
export async function verifyBinary(
  command: readonly string[],
  target: Target,
): Promise<string | undefined> {
  const world = await Deno.makeTempDir({ prefix: "ctmux-verify-" });
  try {
    const [prefix, tool] = target === MULTI_TOOL
      ? [["list-sessions"], "list-sessions" as const]
      : [[], target];
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: world,
      TMPDIR: world,
      TMUX_TMPDIR: world,
      CLAUDE_TMUX_SOCKET_DIR: join(world, "sockets"),
      NO_COLOR: "1",
    };
    const run = async (args: string[]) => {
      const out = await new Deno.Command(command[0], {
        args: [...command.slice(1), ...prefix, ...args],
        env,
        clearEnv: true,
        cwd: world,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(15_000),
      }).output();
      const stdout = decoder.decode(out.stdout);
      const said = (stdout.trim() || decoder.decode(out.stderr).trim()).split("\n")[0];
      return { code: out.code, stdout, said: said.slice(0, 80) };
    };
    const help = await run(["--help"]);
    if (help.code !== 0 || !help.stdout.startsWith(`Usage: ${tool}.sh `)) {
      return `is not the tool: its --help exited ${help.code} and printed ${
        JSON.stringify(help.said)
      }`;
    }
    const probe = PROBES[tool];
    const args = probe.args.map((a) => a.replace("{world}", world));
    const call = await run(args);
    if (call.code !== probe.code || !probe.stdout.test(call.stdout)) {
      return `is not the tool: '${[...prefix, ...args].join(" ")}' in an empty world exited ` +
        `${call.code} (expected ${probe.code}) and printed ${JSON.stringify(call.said)}`;
    }
    return undefined;
  } catch (error) {
    return `could not be run: ${error instanceof Error ? error.message : error}`;
  } finally {
    await Deno.remove(world, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const USAGE = "Usage: deno run -A scripts/build.ts bundle|compile [--out DIR] [TOOL|ctmux...]";
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      options: { out: { type: "string" } },
      allowPositionals: true,
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    Deno.exit(2);
  }
  const { values, positionals } = parsed;
  const [command, ...only] = positionals;
  // Relative to where the task was started, as a user would expect.
  const dist = values.out
    ? resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), values.out)
    : join(ROOT, "dist");
  const known: readonly string[] = command === "compile" ? [...TOOL_NAMES, MULTI_TOOL] : TOOL_NAMES;
  const unknown = only.filter((t) => !known.includes(t));
  if (unknown.length) {
    console.error(`Unknown tool: ${unknown.join(", ")}`);
    Deno.exit(2);
  }
  if (command === "bundle") {
    Deno.exit(await bundle(dist, only.length ? only as ToolName[] : TOOL_NAMES));
  }
  if (command === "compile") {
    Deno.exit(await compile(dist, only.length ? only as Target[] : [...TOOL_NAMES, MULTI_TOOL]));
  }
  console.error(USAGE);
  Deno.exit(2);
}
