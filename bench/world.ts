/**
 * The benchmark's private world: a tests/helpers.ts Sandbox (temp HOME,
 * TMPDIR, XDG_STATE_HOME, socket dir, TMUX_TMPDIR; the real DENO_DIR), one
 * tmux server per session count with a registry written directly, fixture
 * sessions on the default socket (a shell, a Python REPL, a pane to print
 * into), and the command lines that run a tool exactly as a user would:
 * `deno run` with its declared permissions from lib/permissions.ts.
 * Nothing here touches the user's own tmux server or registry.
 *
 * @module
 */
import { join } from "node:path";
import { permissionFlags, TOOL_ACCESS, TOOL_NAMES, type ToolName } from "../lib/permissions.ts";
import { bundle } from "../scripts/build.ts";
import { type RegistryData, serializeRegistry, type SessionEntry } from "../lib/registry.ts";
import { isoTimestamp } from "../lib/time.ts";
import { pickToolkitEnv, Sandbox, waitUntil } from "../tests/helpers.ts";

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
/** This folder. */
export const BENCH_DIR = join(ROOT, "bench");
/** `/usr/bin/time`, used for peak memory (max RSS). */
export const TIME_BIN = "/usr/bin/time";

/** A registered-sessions world: one server, one registry. */
export interface SessionWorld {
  /** Registered sessions. */
  count: number;
  /** The server's socket. */
  socket: string;
  /** The registry file (passed as `CLAUDE_TMUX_REGISTRY`). */
  registry: string;
  /** Names registered but not on the server (cleanup candidates). */
  missing: string[];
}

/** A command line to time. */
export interface CommandLine {
  /** Program. */
  cmd: string;
  /** Arguments. */
  args: string[];
  /** Full environment (the child gets exactly this). */
  env: Record<string, string>;
  /** Working directory. */
  cwd: string;
}

/** How a measured run is observed besides its time. */
export interface ProbeFiles {
  /** The counting wrapper's log. */
  tmuxLog: string;
  /** Where `/usr/bin/time` writes the max RSS, or undefined when it is unavailable. */
  memFile?: string;
}

/** Name of the i-th registered session of a world. */
export function sessionName(i: number): string {
  return `s${String(i).padStart(4, "0")}`;
}

/** Every tenth registered session is missing on the server (so cleanup has work). */
function isMissing(i: number): boolean {
  return i % 10 === 0;
}

/** The private world; dispose it to kill every server it started. */
export class BenchWorld implements AsyncDisposable {
  readonly worlds = new Map<number, SessionWorld>();
  /** The fixture registry's text, restored after runs that change it. */
  fixtureRegistryText = "";
  /** tty of the pane wait-for-text watches. */
  waitPaneTty = "";
  readonly counterBin: string;
  readonly realTmux: string;
  #disposed = false;
  readonly #made = new Set<string>();

  private constructor(readonly box: Sandbox, realTmux: string) {
    this.realTmux = realTmux;
    this.counterBin = join(box.root, "counter-bin");
  }

  /** Makes the sandbox, the counting wrapper and the fixture sessions. */
  static async create(sessionCounts: readonly number[]): Promise<BenchWorld> {
    const realTmux = await which("tmux");
    if (!realTmux) throw new Error("tmux not found on PATH");
    const box = await Sandbox.create();
    const world = new BenchWorld(box, realTmux);
    try {
      await Deno.mkdir(world.counterBin);
      await Deno.symlink(join(BENCH_DIR, "tmux-counter.sh"), join(world.counterBin, "tmux"));
      await Deno.mkdir(box.socketDir, { recursive: true, mode: 0o700 });
      await world.#makeFixtures();
      for (const n of sessionCounts) world.worlds.set(n, await world.#makeSessionWorld(n));
    } catch (error) {
      await world[Symbol.asyncDispose]();
      throw error;
    }
    return world;
  }

  /** The sandbox root. */
  get root(): string {
    return this.box.root;
  }

  /** The default socket (fixtures and create-session live there). */
  get defaultSocket(): string {
    return this.box.defaultSocket;
  }

  /** A socket for create-session on a server that is not running yet. */
  get coldSocket(): string {
    return join(this.box.socketDir, "bench-cold.sock");
  }

  /** The world with `n` registered sessions. */
  world(n: number): SessionWorld {
    const w = this.worlds.get(n);
    if (!w) throw new Error(`no world with ${n} sessions`);
    return w;
  }

  /** Environment overrides that select a world's registry (none: the fixture registry). */
  worldEnv(n: number | undefined): Record<string, string> {
    return n === undefined ? {} : { CLAUDE_TMUX_REGISTRY: this.world(n).registry };
  }

  /** Runs tmux on a sandbox socket; throws on failure. */
  tmux(socket: string, ...args: string[]): Promise<string> {
    return this.box.tmux(socket, ...args);
  }

  /** Runs tmux on a sandbox socket, ignoring failure. */
  async tmuxQuiet(socket: string, ...args: string[]): Promise<void> {
    await this.box.tmuxRaw(socket, ...args);
  }

  /** Kills the cold-start server and removes its socket file (tmux leaves it behind). */
  async killColdServer(): Promise<void> {
    await this.tmuxQuiet(this.coldSocket, "kill-server");
    await Deno.remove(this.coldSocket).catch(() => {});
  }

  /** Restores the fixture registry after a run that changed it. */
  async restoreFixtureRegistry(extra: Record<string, SessionEntry> = {}): Promise<void> {
    const data = JSON.parse(this.fixtureRegistryText) as RegistryData;
    Object.assign(data.sessions, extra);
    await this.box.writeRegistry(serializeRegistry(data));
  }

  /** Why a tool can't be run, or undefined when it can. */
  toolUnavailable(tool: string, scripts = DEFAULT_SCRIPTS): string | undefined {
    if (!Object.hasOwn(TOOL_ACCESS, tool)) {
      return `no permissions declared for ${tool} in lib/permissions.ts (TOOL_ACCESS)`;
    }
    try {
      Deno.statSync(toolScript(tool, scripts));
    } catch {
      return `${toolScript(tool, scripts).replace(`${ROOT}/`, "")} does not exist yet`;
    }
    return undefined;
  }

  /**
   * `deno run` of a tool with its declared permissions, in the sandbox;
   * `scripts` is where the tool's script is (`{tool}` stands for its name),
   * so A/B runs can point at another checkout or at bundles.
   */
  toolCommand(
    tool: string,
    args: string[],
    env: Record<string, string> = {},
    scripts = DEFAULT_SCRIPTS,
  ): CommandLine {
    const full = this.box.toolEnv(env);
    const flags = permissionFlags(tool as ToolName, pickToolkitEnv(full));
    return {
      cmd: Deno.execPath(),
      args: ["run", "--quiet", ...flags, toolScript(tool, scripts), ...args],
      env: full,
      cwd: this.root,
    };
  }

  /**
   * The tool through its installed shim (`tools/NAME.sh` as users call it:
   * bash working out the permission flags, then `exec deno run`), running
   * the bundles (built here once, as install-shims does) or, `modular`,
   * `tools/NAME.ts`. The shim text comes from scripts/install-shims.ts;
   * undefined when that is missing.
   */
  async shimCommand(
    tool: string,
    args: string[],
    env: Record<string, string> = {},
    form: "bundled" | "modular" = "bundled",
  ): Promise<CommandLine | undefined> {
    const dir = join(this.root, `shims-${form}`);
    const path = join(dir, `${tool}.sh`);
    if (!this.#made.has(path)) {
      const dist = join(this.root, "dist");
      if (form === "bundled" && !this.#made.has(dist)) {
        if (await bundle(dist, TOOL_NAMES, { quiet: true }) !== 0) return undefined;
        this.#made.add(dist);
      }
      const text = await shimTextOf(tool, { dist, modular: form === "modular" });
      if (text === undefined) return undefined;
      await Deno.mkdir(dir, { recursive: true });
      await Deno.writeTextFile(path, text, { mode: 0o755 });
      this.#made.add(path);
    }
    return { cmd: path, args, env: this.box.toolEnv(env), cwd: this.root };
  }

  /** `deno run` of a bench script (a floor) with the given flags. */
  scriptCommand(script: string, flags: string[], args: string[] = []): CommandLine {
    return {
      cmd: Deno.execPath(),
      args: ["run", "--quiet", "--no-prompt", ...flags, join(BENCH_DIR, script), ...args],
      env: this.box.toolEnv(),
      cwd: this.root,
    };
  }

  /** The bare tmux binary (not through any wrapper). */
  tmuxCommand(args: string[]): CommandLine {
    return { cmd: this.realTmux, args, env: this.box.toolEnv(), cwd: this.root };
  }

  /**
   * The same command observed: `tmux` resolves to the counting wrapper (first
   * on PATH, which is also what Deno resolves `--allow-run=tmux` against),
   * and the process runs under `/usr/bin/time` for its max RSS.
   */
  probeCommand(line: CommandLine, files: ProbeFiles): CommandLine {
    const env = {
      ...line.env,
      PATH: `${this.counterBin}:${line.env.PATH ?? "/usr/bin:/bin"}`,
      BENCH_TMUX_LOG: files.tmuxLog,
      BENCH_TMUX_REAL: this.realTmux,
    };
    // The bare-tmux floor goes through the wrapper too, so its count checks the wrapper.
    const cmd = line.cmd === this.realTmux ? join(this.counterBin, "tmux") : line.cmd;
    if (!files.memFile) return { ...line, cmd, env };
    return {
      ...line,
      cmd: TIME_BIN,
      args: ["-f", "%M", "-o", files.memFile, cmd, ...line.args],
      env,
    };
  }

  async #makeFixtures(): Promise<void> {
    const sock = this.defaultSocket;
    const loop = join(this.box.root, "loop.py");
    await Deno.writeTextFile(loop, "i = 0\nwhile True:\n    i += 1\n");
    await this.tmux(
      sock,
      ...newSessionArgs("bench-shell", ["bash", "--norc", "--noprofile"]),
      ";",
      ...newSessionArgs("bench-py", ["env", "PYTHON_BASIC_REPL=1", "python3", "-q"]),
      ";",
      ...newSessionArgs("bench-wait", ["cat"]),
      ";",
      ...newSessionArgs("bench-run", ["bash", "--norc", "--noprofile"]),
      ";",
      ...newSessionArgs("bench-ask", ["bash", "--norc", "--noprofile"]),
      ";",
      // pdb stepping a loop that never ends: each `n` has a next line.
      ...newSessionArgs("bench-pdb", ["python3", "-m", "pdb", loop]),
    );
    const pids = await panePids(this, sock);
    const now = isoTimestamp();
    const entry = (name: string, type: string): SessionEntry => ({
      socket: sock,
      target: `${name}:0.0`,
      type,
      created_at: now,
      last_active: now,
      pid: pids.get(name),
    });
    const data: RegistryData = {
      sessions: {
        "bench-py": entry("bench-py", "python-repl"),
        "bench-shell": entry("bench-shell", "shell"),
        "bench-run": entry("bench-run", "shell"),
        "bench-wait": entry("bench-wait", "shell"),
        "bench-ask": entry("bench-ask", "shell"),
        "bench-pdb": entry("bench-pdb", "shell"),
      },
      version: "1.0",
    };
    this.fixtureRegistryText = serializeRegistry(data);
    await this.box.writeRegistry(this.fixtureRegistryText);
    this.waitPaneTty = (await this.tmux(sock, "display", "-p", "-t", "=bench-wait:", "#{pane_tty}"))
      .trim();
    await waitUntil(
      async () => /^>>> ?$/m.test(await this.tmux(sock, "capture-pane", "-p", "-t", "=bench-py:")),
      { timeoutMs: 15000, message: "the Python prompt in bench-py" },
    );
    await waitUntil(
      async () =>
        (await this.tmux(sock, "capture-pane", "-p", "-t", "=bench-pdb:")).includes("(Pdb)"),
      { timeoutMs: 15000, message: "the pdb prompt in bench-pdb" },
    );
    for (const shell of ["bench-shell", "bench-run", "bench-ask"]) {
      await waitUntil(
        async () => (await this.tmux(sock, "capture-pane", "-p", "-t", `=${shell}:`)).trim() !== "",
        { timeoutMs: 15000, message: `the shell prompt in ${shell}` },
      );
    }
  }

  /**
   * One server holding the live sessions of a world, made by a tmux call per
   * 100 sessions (tmux refuses longer command lines); its registry written directly.
   */
  async #makeSessionWorld(count: number): Promise<SessionWorld> {
    const socket = this.box.socket(`w${count}.sock`);
    let args: string[] = [];
    const missing: string[] = [];
    for (let i = 1; i <= count; i++) {
      if (isMissing(i)) {
        missing.push(sessionName(i));
      } else {
        if (args.length) args.push(";");
        args.push(...newSessionArgs(sessionName(i), ["cat"]));
      }
      if (args.length && (i % 100 === 0 || i === count)) {
        await this.tmux(socket, ...args);
        args = [];
      }
    }
    const pids = await panePids(this, socket);
    const created = isoTimestamp(new Date(Date.now() - 2 * 3600_000));
    const active = isoTimestamp(new Date(Date.now() - 3600_000));
    const data: RegistryData = { sessions: {}, version: "1.0" };
    for (let i = 1; i <= count; i++) {
      const name = sessionName(i);
      const entry: SessionEntry = {
        socket,
        target: `${name}:0.0`,
        type: "shell",
        created_at: created,
        last_active: active,
      };
      const pid = pids.get(name);
      if (pid !== undefined) entry.pid = pid;
      data.sessions[name] = entry;
    }
    const dir = join(this.root, `registry-${count}`);
    await Deno.mkdir(dir, { mode: 0o700 });
    const registry = join(dir, ".sessions.json");
    await Deno.writeTextFile(registry, serializeRegistry(data));
    return { count, socket, registry, missing };
  }

  /** Kills every server of the sandbox (by socket) and removes it; safe to call twice. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.box.sockets.add(this.coldSocket);
    await this.box[Symbol.asyncDispose]();
  }
}

/** The shim text install-shims writes for `tool`, if that script is there. */
async function shimTextOf(
  tool: string,
  options: { dist: string; modular: boolean },
): Promise<string | undefined> {
  // Loaded by URL at run time, so the bench type-checks without it.
  const url = new URL("../scripts/install-shims.ts", import.meta.url).href;
  try {
    const mod = await import(url) as {
      shimText?: (tool: string, options: { dist: string; modular: boolean }) => string;
    };
    return mod.shimText?.(tool, options);
  } catch {
    return undefined;
  }
}

function newSessionArgs(name: string, command: string[]): string[] {
  return ["new-session", "-d", "-s", name, "-x", "80", "-y", "24", ...command];
}

async function panePids(world: BenchWorld, socket: string): Promise<Map<string, number>> {
  const out = await world.tmux(socket, "list-panes", "-a", "-F", "#{session_name} #{pane_pid}");
  const pids = new Map<string, number>();
  for (const line of out.split("\n")) {
    const [name, pid] = line.split(" ");
    if (name && pid) pids.set(name, Number(pid));
  }
  return pids;
}

/** Where the tools' scripts are: this checkout's `tools/`. */
export const DEFAULT_SCRIPTS = join(ROOT, "tools", "{tool}.ts");

/** Path of a tool's script; `scripts` is a path with `{tool}` for the tool's name. */
export function toolScript(tool: string, scripts = DEFAULT_SCRIPTS): string {
  return scripts.replaceAll("{tool}", tool);
}

/** Resolves a program on PATH, as a shell would. */
export async function which(program: string): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const path = join(dir, program);
    try {
      const info = await Deno.stat(path);
      if (info.isFile && (info.mode ?? 0o111) & 0o111) return path;
    } catch { /* not here */ }
  }
  return undefined;
}
