/**
 * Test fixtures: a sandbox of temp dirs (socket dir, HOME, XDG state, TMPDIR,
 * TMUX_TMPDIR) so no test touches the user's tmux or registry; tools run as
 * `deno run` with exactly their declared permissions; every tmux server a
 * test starts is killed by its socket on dispose, even when the test fails.
 */
import { join } from "node:path";
import { Context } from "../lib/context.ts";
import { type Env, ENV_VARS } from "../lib/env.ts";
import { Registry } from "../lib/registry.ts";
import { permissionFlags, type ToolName } from "../lib/permissions.ts";

/** What a tool process did. */
export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link Sandbox.run}. */
export interface RunOptions {
  /** Extra or overriding environment (`undefined` removes a variable). */
  env?: Record<string, string | undefined>;
  /** Text on stdin. */
  stdin?: string;
  /** Working directory. */
  cwd?: string;
  /** Script to run instead of `tools/NAME.ts`. */
  script?: string;
}

const ROOT = new URL("..", import.meta.url).pathname;
const realHome = Deno.env.get("HOME") ?? "/root";
/** Deno's module cache of the real user (passed on, so tools and child tests don't recompile). */
export const DENO_DIR = Deno.env.get("DENO_DIR") ??
  join(Deno.env.get("XDG_CACHE_HOME") ?? join(realHome, ".cache"), "deno");
const decoder = new TextDecoder();

/** Path of a tool's script. */
export function toolScript(tool: string): string {
  return join(ROOT, "tools", `${tool}.ts`);
}

/** A private world for one test. */
export class Sandbox implements AsyncDisposable {
  readonly sockets = new Set<string>();
  readonly env: Record<string, string>;

  private constructor(readonly root: string, withSocketDirEnv: boolean) {
    this.env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      DENO_DIR,
      HOME: join(root, "home"),
      TMPDIR: join(root, "tmp"),
      XDG_STATE_HOME: join(root, "state"),
      XDG_CONFIG_HOME: join(root, "config"),
      TMUX_TMPDIR: join(root, "tmux-tmp"),
      LANG: "C.UTF-8",
    };
    if (withSocketDirEnv) this.env.CLAUDE_TMUX_SOCKET_DIR = join(root, "sockets");
  }

  /** Makes a sandbox; `socketDirEnv: false` leaves `CLAUDE_TMUX_SOCKET_DIR` unset. */
  static async create(options: { socketDirEnv?: boolean } = {}): Promise<Sandbox> {
    const root = await Deno.makeTempDir({ prefix: "ctmux-" });
    const box = new Sandbox(root, options.socketDirEnv ?? true);
    for (const dir of ["home", "tmp", "state", "config", "tmux-tmp"]) {
      await Deno.mkdir(join(root, dir), { mode: 0o700 });
    }
    return box;
  }

  /** The toolkit's socket directory. */
  get socketDir(): string {
    return this.env.CLAUDE_TMUX_SOCKET_DIR ?? join(this.env.TMPDIR, "claude-tmux-sockets");
  }

  /** The default socket the tools use. */
  get defaultSocket(): string {
    return join(this.socketDir, "claude.sock");
  }

  /** The registry file the tools use (with `CLAUDE_TMUX_SOCKET_DIR` set). */
  get registryFile(): string {
    return this.env.CLAUDE_TMUX_SOCKET_DIR
      ? join(this.socketDir, ".sessions.json")
      : join(this.env.XDG_STATE_HOME, "claude-tmux", ".sessions.json");
  }

  /** tmux's own default socket in this sandbox (`-t` without `-S`). */
  get tmuxDefaultSocket(): string {
    return join(this.env.TMUX_TMPDIR, `tmux-${Deno.uid()}`, "default");
  }

  /** A socket path in the sandbox, remembered for cleanup. */
  socket(name = "test.sock"): string {
    const path = join(this.root, name);
    this.sockets.add(path);
    return path;
  }

  /**
   * A socket whose tmux server already runs, started with the sandbox's
   * environment and kept up with no session. Sessions a test then makes on
   * it in-process (through the library, which runs tmux with the test
   * runner's own environment) get the server's environment: their shells
   * start with the sandbox's HOME, never the user's `~/.bashrc`.
   */
  async server(name = "test.sock"): Promise<string> {
    const socket = this.socket(name);
    await this.tmux(socket, "start-server", ";", "set-option", "-g", "exit-empty", "off");
    return socket;
  }

  /** The toolkit variables of this sandbox plus overrides, as the tools would see them. */
  toolEnv(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const env: Record<string, string | undefined> = { ...this.env, ...overrides };
    return Object.fromEntries(
      Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined),
    );
  }

  /** Runs a tool with exactly its declared permissions. */
  async run(tool: ToolName, args: string[], options: RunOptions = {}): Promise<ToolResult> {
    const env = this.toolEnv(options.env);
    const flags = permissionFlags(tool, pickToolkitEnv(env));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", ...flags, options.script ?? toolScript(tool), ...args],
      env,
      clearEnv: true,
      cwd: options.cwd ?? this.root,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(options.stdin));
      await writer.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }

  /** Runs tmux on a socket of this sandbox; throws on failure. */
  async tmux(socket: string, ...args: string[]): Promise<string> {
    const out = await this.tmuxRaw(socket, ...args);
    if (out.code !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${out.stderr}`);
    return out.stdout;
  }

  /** Runs tmux on a socket of this sandbox and reports what happened. */
  async tmuxRaw(socket: string, ...args: string[]): Promise<ToolResult> {
    this.sockets.add(socket);
    const out = await new Deno.Command("tmux", {
      args: ["-S", socket, ...args],
      env: this.env,
      clearEnv: true,
      stdin: "null",
    }).output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  }

  /** Starts a detached session (a bash by default) on `socket`. */
  async newSession(
    socket: string,
    name: string,
    command: string[] = ["bash", "--norc", "--noprofile"],
  ) {
    const args = ["new-session", "-d", "-s", name, "-x", "80", "-y", "24", ...command];
    // A server whose last session was just killed may still be exiting: tmux then reports
    // "server exited unexpectedly"; the next try starts a new server.
    for (let attempt = 1;; attempt++) {
      const out = await this.tmuxRaw(socket, ...args);
      if (out.code === 0) return;
      if (attempt >= 5 || !/server exited unexpectedly/.test(out.stderr)) {
        throw new Error(`tmux ${args.join(" ")} failed: ${out.stderr}`);
      }
    }
  }

  /** A live server with a healthy session `alive-one` and a dead (remain-on-exit) `dies`. */
  async liveServer(): Promise<string> {
    const live = this.socket("live.sock");
    await this.newSession(live, "alive-one");
    await this.tmux(live, "set-option", "-g", "remain-on-exit", "on");
    await this.tmux(live, "new-session", "-d", "-s", "dies", "sh", "-c", "exit 0");
    await waitUntil(
      async () =>
        (await this.tmux(live, "display", "-p", "-t", "=dies:", "#{pane_dead}")).trim() === "1",
      { message: "pane of 'dies' to be dead" },
    );
    return live;
  }

  /** The registry as parsed JSON. */
  async registry(): Promise<
    { sessions: Record<string, Record<string, unknown>>; version: string }
  > {
    return JSON.parse(await Deno.readTextFile(this.registryFile));
  }

  /** Writes a registry (version 1.0, pretty as the tools write it) holding `sessions`. */
  async writeSessions(sessions: Record<string, unknown>): Promise<void> {
    await this.writeRegistry(JSON.stringify({ sessions, version: "1.0" }, null, 2) + "\n");
  }

  /** Writes registry text as-is. */
  async writeRegistry(text: string): Promise<void> {
    await Deno.mkdir(join(this.registryFile, ".."), { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(this.registryFile, text);
  }

  /**
   * A library context inside the sandbox: its paths and registry come from
   * the sandbox's variables, and every tmux it starts (so every server and
   * pane) runs with exactly the sandbox's environment, through a wrapper
   * given as the context's tmux `program`. The test process's own HOME,
   * TMUX_TMPDIR and shell setup never reach a pane.
   */
  async context(): Promise<Context> {
    const wrapper = join(this.root, "tmux-in-sandbox");
    const assignments = Object.entries(this.env).map(([k, v]) => `${k}=${shellQuote(v)}`);
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh
exec env -i ${assignments.join(" ")} tmux "$@"
`,
      { mode: 0o755 },
    );
    const env = pickToolkitEnv(this.env);
    return new Context({
      env,
      registry: new Registry({ env, notice: () => {} }),
      program: wrapper,
    });
  }

  /** Kills every server of the sandbox by its socket, then removes the temp tree. */
  async [Symbol.asyncDispose](): Promise<void> {
    const sockets = new Set([...this.sockets, this.tmuxDefaultSocket]);
    // Every socket anywhere in the sandbox (tests may nest socket folders),
    // plus the socket folder when CLAUDE_TMUX_SOCKET_DIR points outside it.
    const walk = async (dir: string): Promise<void> => {
      try {
        for await (const e of Deno.readDir(dir)) {
          const path = join(dir, e.name);
          if (e.isDirectory) await walk(path);
          else if (!e.isFile && !e.isSymlink) sockets.add(path);
        }
      } catch { /* not created, or not ours to read */ }
    };
    await walk(this.root);
    if (!this.socketDir.startsWith(this.root + "/")) await walk(this.socketDir);
    await Promise.all([...sockets].map((s) =>
      new Deno.Command("tmux", {
        args: ["-S", s, "kill-server"],
        stdout: "null",
        stderr: "null",
        env: this.env,
        clearEnv: true,
      }).output()
    ));
    await Deno.remove(this.root, { recursive: true }).catch(() => {});
  }
}

/** `text` as one POSIX shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Runs a program with exactly `env`, stdin closed, and reports what it did. */
export async function runProgram(
  program: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string },
): Promise<ToolResult> {
  const out = await new Deno.Command(program, {
    args,
    env: options.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/**
 * A session's private output folder (`.ctmux/output/<server>/<session>`): the
 * one under whichever server folder holds it (the default socket's first).
 */
export function sessionOutputDir(box: Sandbox, session: string): string {
  const output = join(box.socketDir, ".ctmux", "output");
  const server = encodeURIComponent(`S:${box.defaultSocket}`).replaceAll(".", "%2E");
  const named = encodeURIComponent(session).replaceAll(".", "%2E");
  try {
    for (const entry of Deno.readDirSync(output)) {
      if (entry.name !== server && Deno.statSync(join(output, entry.name, named)).isDirectory) {
        return join(output, entry.name, named);
      }
    }
  } catch { /* the default socket's, or none yet */ }
  return join(output, server, named);
}

/** Whether the tests run as root (only root can chown a file to another user). */
export const isRoot = Deno.uid() === 0;

/** A step that needs root (it chowns to another user): skipped cleanly otherwise. */
export function rootStep(
  t: Deno.TestContext,
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
): Promise<boolean> {
  return t.step({ name, ignore: !isRoot, fn });
}

/** A registry entry with fixed timestamps. */
export function testEntry(
  socket: string,
  target: string,
  type = "shell",
  at = "2025-11-24T16:00:00Z",
): Record<string, string> {
  return { socket, target, type, created_at: at, last_active: at };
}

/** The toolkit's own variables out of a full environment. */
export function pickToolkitEnv(env: Record<string, string>): Env {
  const out: Env = {};
  for (const name of ENV_VARS) if (env[name] !== undefined) out[name] = env[name];
  return out;
}

/** Polls `fn` until it returns a truthy value, or fails after `timeoutMs`. */
export async function waitUntil<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 5000, intervalMs = 20, message = "condition" } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${message}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Parses a tool's JSON stdout. */
export function json<T = Record<string, unknown>>(result: ToolResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}
