#!/usr/bin/env -S deno run --quiet --no-prompt --allow-run=tmux,ps,test --allow-env=CLAUDE_TMUX_SOCKET_DIR,CLAUDE_TMUX_REGISTRY,REGISTRY_FILE,REGISTRY_LOCK,LOCK_TIMEOUT,NOW_EPOCH,TMPDIR,XDG_STATE_HOME,HOME,TMUX,TMUX_PANE --allow-sys=uid --allow-read --allow-write
/**
 * mcp-server: the toolkit as an MCP server on stdio. Each tool is a thin
 * adapter: an input and output schema, one call into `lib/api.ts` (the
 * library's operations, with their `waitMs`/`signal`/progress semantics),
 * and the result as structured content. Errors are tool errors with the
 * one-line message the command-line tools print (`errorLine`).
 *
 * One `Context` for the server's life: persistent (one tmux control-mode
 * client per tmux server carries the commands; waits share one client per
 * session) and with an access policy (sockets in the socket folder or named
 * by the registry, unless `--any-socket`; never the server's own pane).
 * The registry is read afresh by every operation, so the command-line tools
 * and the server always see the same sessions. Stdin closing, SIGTERM or
 * SIGINT cancel what runs, wait for it, detach every control client and exit.
 *
 * @module
 */
// The SDK's `./*` export maps `server/mcp.js` to types at `server/mcp.js.d.ts`, which do not
// exist; the extension-less subpath finds `server/mcp.d.ts`.
// @ts-types="@modelcontextprotocol/sdk/server/mcp"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
// @ts-types="@modelcontextprotocol/sdk/server/stdio"
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol";
import type { ZodRawShapeCompat } from "@modelcontextprotocol/sdk/server/zod-compat";
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
  ToolAnnotations,
} from "@modelcontextprotocol/sdk/types";
import process from "node:process";
import { z } from "zod";
import * as api from "../lib/api.ts";
import { errorLine, runTool } from "../lib/cli.ts";
import { Context } from "../lib/context.ts";
import { oneLine } from "../lib/errors.ts";
import { ownPane } from "../lib/policy.ts";
import { RUN_MODES, type RunMode } from "../lib/run/modes.ts";
import config from "../deno.json" with { type: "json" };

const USAGE = `Usage: mcp-server.sh [--read-only] [--any-socket] [-h]

Serve the toolkit to MCP clients (Claude Code, Codex, Cursor, ...) on stdin
and stdout: create_session, list_sessions, pane_health, send, send_keys,
wait, capture, run, kill_session, cleanup_sessions, find_sessions.

Options:
      --read-only   offer only list_sessions, pane_health, capture,
                    capture_since, find_sessions and wait
      --any-socket  act on any tmux socket (default: only sockets in the
                    socket folder and those the registry names)
  -h, --help        show this help

The server never sends keys to, runs in or kills the pane it runs in.
It exits when its stdin closes (or on SIGTERM/SIGINT), detaching every
tmux control client it opened.

Examples:
  claude mcp add tmux -- ~/my-skill/tools/mcp-server.sh
  mcp-server.sh --read-only`;

/** Longest text a tool takes (a pasted block, a command): 1 MiB. */
const MAX_TEXT = 1 << 20;
/** Longest name, target, pattern or path. */
const MAX_SHORT = 4096;
/** Longest wait: a day. */
const MAX_WAIT_MS = 86_400_000;

const name = z.string().min(1).max(MAX_SHORT);
const waitMs = z.number().int().min(0).max(MAX_WAIT_MS);

/** What run and resume_run return: the core's run outcome. */
const RUN_OUTPUT = {
  kind: z.enum(["completed", "timed_out", "waiting_for_input", "pane_gone", "refused"]),
  output: z.string(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  runId: z.string().describe("This run's id (resume_run takes it)"),
  mode: z.string().optional().describe("The mode the run used"),
  waitingForInput: z.boolean(),
  prompt: z.string().nullable().describe("The line the program waits at"),
  outputLost: z.boolean().describe(
    "Lines are gone: the pane pipes its output elsewhere and its full history dropped some",
  ),
  truncated: z.boolean().describe("maxLines left lines out of output"),
  linesTotal: z.number().describe("How many lines the whole output has"),
  outputFile: z.string().optional().describe("The private file with the whole output"),
  reason: z.string().optional().describe("pane_gone, refused: why"),
  program: z.string().optional().describe("refused: the program the pane runs"),
};

const TARGET = {
  session: name.optional().describe("A registered session name (as -s)"),
  target: name.optional().describe(
    "A tmux target: session, session:window.pane or %id (as -t); with socket or socketName",
  ),
  socket: name.optional().describe("The socket path of target (as -S)"),
  socketName: name.optional().describe("The socket name of target (as -L)"),
};
const TARGET_NOTE =
  "The pane: session (a registered name), or target with socket/socketName; with none, " +
  "the registry's only session.";

const HEALTH = {
  status: z.enum(["healthy", "dead", "missing", "zombie", "server_not_running"]),
  serverRunning: z.boolean(),
  sessionExists: z.boolean(),
  paneExists: z.boolean(),
  paneDead: z.boolean(),
  pid: z.number().nullable(),
  processRunning: z.boolean(),
};

const WAIT_OUTCOME = {
  kind: z.enum(["matched", "failed", "quiet", "timed_out", "pane_gone"]),
  line: z.string().optional().describe("matched, failed: the line that matched"),
  lastText: z.string().optional().describe("timed_out: the text last looked at"),
  reason: z.string().optional().describe("pane_gone: why"),
};

const READ: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };
const WRITE: ToolAnnotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/** What an adapter gets besides its arguments. */
interface Call {
  /** The server's context. */
  context: Context;
  /** Aborts on MCP cancellation and on shutdown. */
  signal: AbortSignal;
  /** MCP progress, when the client asked for it. */
  onProgress?: (progress: api.OperationProgress) => void;
}

/** One tool: its schemas, its hints and its adapter. */
interface ToolSpec<I extends z.ZodRawShape, O extends z.ZodRawShape> {
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run: (args: z.infer<z.ZodObject<I>>, call: Call) => Promise<z.infer<z.ZodObject<O>>>;
}

/** Runs an adapter's work for one request and turns its result or error into the reply. */
type Handle = (
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  work: (call: Call) => Promise<Record<string, unknown>>,
) => Promise<CallToolResult>;

/** A tool whose types were checked where it was declared. */
interface Tool {
  register(server: McpServer, name: string, handle: Handle): void;
}

/** Declares a tool: its adapter is type-checked against its schemas here. */
function tool<I extends z.ZodRawShape, O extends z.ZodRawShape>(spec: ToolSpec<I, O>): Tool {
  const input = z.object(spec.input);
  return {
    register(server, name, handle) {
      server.registerTool<ZodRawShapeCompat, ZodRawShapeCompat>(name, {
        description: spec.description,
        inputSchema: spec.input,
        outputSchema: spec.output,
        annotations: spec.annotations,
      }, (args, extra) => handle(extra, (call) => spec.run(input.parse(args), call)));
    },
  };
}

/** Every tool, by name; `READ_ONLY_TOOLS` are those `--read-only` offers. */
const TOOLS: Record<string, Tool> = {
  create_session: tool({
    description: "Create a detached tmux session running bash, a Python REPL or gdb, and " +
      "register it (as create-session.sh).",
    input: {
      name: name.describe("Session name, also its registry key (no '.' or ':')"),
      kind: z.enum(["shell", "python", "gdb"]).optional().describe("What runs (default shell)"),
      socket: name.optional().describe("Socket path (default: the socket folder's claude.sock)"),
      window: name.optional().describe("Window name (default shell)"),
      register: z.boolean().optional().describe("Register the session (default true)"),
    },
    output: {
      name: z.string(),
      socket: z.string().optional(),
      target: z.string(),
      type: z.string().optional(),
      registered: z.boolean(),
    },
    annotations: WRITE,
    run: async (args, { context, signal }) => {
      const session = await api.createSession({ ...args, context, signal });
      return {
        name: session.name,
        socket: session.socket,
        target: session.target,
        type: session.type,
        registered: session.registered,
      };
    },
  }),

  list_sessions: tool({
    description: "Every registered session with its status: alive, dead, missing, zombie, " +
      "server (its tmux server is not running) or unknown (as list-sessions.sh --json), and for " +
      "alive ones the program in front and whether the pane is busy (another program than its " +
      "own shell, REPL or debugger runs) or idle.",
    input: {},
    output: {
      sessions: z.array(z.object({
        name: z.string(),
        socket: z.string().nullable(),
        socketBasename: z.string().nullable(),
        target: z.string().nullable(),
        type: z.string().nullable(),
        status: z.enum(["alive", "dead", "missing", "zombie", "server", "unknown", "invalid"]),
        pid: z.number().nullable(),
        createdAt: z.string().nullable(),
        lastActive: z.string().nullable(),
        program: z.string().nullable(),
        activity: z.enum(["busy", "idle"]).nullable(),
      })),
    },
    annotations: READ,
    run: async (_args, { context, signal }) => ({
      sessions: await api.listSessions({ context, signal, programs: true }),
    }),
  }),

  pane_health: tool({
    description: `A pane's health (as pane-health.sh). ${TARGET_NOTE}`,
    input: TARGET,
    output: HEALTH,
    annotations: READ,
    run: (args, { context, signal }) => api.paneHealth({ ...args, context, signal }),
  }),

  send: tool({
    description: "Send text to a healthy pane, optionally waiting for a line matching waitFor " +
      "(or for the pane to go quiet, idleMs) in the output that follows, read from the " +
      "pane's byte stream (as safe-send.sh). mode keys (default): tmux key names work, then " +
      "Enter; literal: as typed, no Enter; paste: a block ending with a blank line (REPL " +
      "blocks); press: text is tmux key names pressed in order with no Enter (Space, Escape, " +
      `Up, C-c, q, ...). failOn ends the wait early (kind failed). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      text: z.string().max(MAX_TEXT).describe(
        'The text ("" with mode keys: just Enter); with mode press: key names, space-separated',
      ),
      mode: z.enum(["keys", "literal", "paste", "press"]).optional(),
      waitFor: name.optional().describe(
        "Wait for a line matching this POSIX extended regex (grep -E) after the send",
      ),
      failOn: name.optional().describe("A line matching this first ends the wait: kind failed"),
      idleMs: waitMs.optional().describe(
        "Done when the pane printed nothing for this long (after waitFor matched, if given)",
      ),
      fixed: z.boolean().optional().describe("waitFor and failOn are fixed strings"),
      waitMs: waitMs.optional().describe("How long to wait for waitFor (default 30000)"),
      output: z.boolean().optional().describe(
        "Also return the output between the send and the end of the wait",
      ),
      cursor: z.boolean().optional().describe("Also return a read cursor (for capture_since)"),
    },
    output: {
      kind: z.enum(["not_ready", "sent", "matched", "failed", "quiet", "timed_out", "pane_gone"]),
      output: z.array(z.string()).optional().describe("With output: what the pane printed"),
      cursor: z.string().nullable().optional().describe("With cursor: where the output ended"),
      pane: z.string().optional().describe("The pane id the text went to"),
      status: HEALTH.status.optional().describe("not_ready: the pane's health"),
      health: z.object(HEALTH).optional(),
      line: WAIT_OUTCOME.line,
      lastText: WAIT_OUTCOME.lastText,
      reason: WAIT_OUTCOME.reason,
    },
    annotations: WRITE,
    run: (args, { context, signal, onProgress }) =>
      api.send({ ...args, context, signal, onProgress, touch: true }),
  }),

  send_keys: tool({
    description: "Press tmux keys by name (C-c, Enter, Escape, Up, q, ...) or type words, " +
      `in one call, with no Enter added. ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      keys: z.array(z.string().min(1).max(MAX_SHORT)).min(1).max(1000),
    },
    output: { kind: z.literal("sent") },
    annotations: WRITE,
    run: async (args, { context, signal }) => {
      await api.sendKeys({ ...args, context, signal, touch: true });
      return { kind: "sent" as const };
    },
  }),

  wait: tool({
    description: "Wait until a line of the pane (the last lines of history and the screen, " +
      "wrapped lines joined; with newOutput, only output that appears from now on) matches " +
      "a POSIX extended regex, or the pane goes quiet (idleMs), reacting as output arrives " +
      `(as wait-for-text.sh). failOn ends it early (kind failed). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      pattern: name.optional().describe("POSIX extended regex, matched line by line (grep -E)"),
      failOn: name.optional().describe("A line matching this first ends the wait: kind failed"),
      idleMs: waitMs.optional().describe(
        "Done when the pane printed nothing for this long (after pattern matched, if given)",
      ),
      newOutput: z.boolean().optional().describe("Only output that appears after now counts"),
      cursor: z.boolean().optional().describe("Also return a read cursor (for capture_since)"),
      fixed: z.boolean().optional().describe("pattern and failOn are fixed strings (grep -F)"),
      waitMs: waitMs.optional().describe("How long to wait (default 15000)"),
      lines: z.number().int().min(0).max(1_000_000).optional().describe(
        "Lines of history above the screen to search (default 1000)",
      ),
    },
    output: {
      ...WAIT_OUTCOME,
      cursor: z.string().nullable().optional().describe("With cursor: the pane's output now"),
    },
    annotations: READ,
    run: (args, { context, signal, onProgress }) =>
      api.waitForText({ ...args, context, signal, onProgress }),
  }),

  capture: tool({
    description: "A pane's text as lines (trailing blank lines dropped): the screen, or with " +
      `history lines above it, or the whole history (as capture-pane.sh). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      history: z.union([z.number().int().min(0).max(1_000_000), z.literal("all")]).optional()
        .describe('Lines of history above the screen, or "all" (default 0: the screen)'),
      last: z.number().int().min(1).max(1_000_000).optional().describe(
        "Keep only the last N lines",
      ),
      join: z.boolean().optional().describe("Join wrapped lines"),
      escapes: z.boolean().optional().describe("Keep colour and attribute escapes"),
    },
    output: { lines: z.array(z.string()) },
    annotations: READ,
    run: async (args, { context, signal }) => ({
      lines: await api.capture({ ...args, context, signal }),
    }),
  }),

  capture_since: tool({
    description: "The pane's output after a cursor, as lines rendered as a terminal shows " +
      "them, and a cursor for the next read; without since, no lines and a cursor marking " +
      "the output now. Cursors survive the pane's history trimming; linesLost counts lines " +
      `the pane's log no longer keeps (as capture-pane.sh --since). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      since: z.string().max(MAX_SHORT).optional().describe("A cursor from an earlier call"),
    },
    output: {
      lines: z.array(z.string()),
      cursor: z.string(),
      linesLost: z.number().nullable().describe("Lines after since that are gone (null: unknown)"),
    },
    annotations: READ,
    run: (args, { context, signal }) => api.readSince({ ...args, context, signal }),
  }),

  run: tool({
    description: "Run one command in the pane and wait for it. The program running in the " +
      "pane decides how: a shell (exactly the command's output and exit status), Python's " +
      "REPL (code run as a file would run; exit 1 when an exception reached the top), " +
      "pdb/ipdb, gdb, lldb, node, or any prompt-based program with `prompt`. A full-screen " +
      "or busy pane is refused (kind refused, nothing typed). A program that stops to ask " +
      "for input ends the call with kind waiting_for_input and its prompt: answer with " +
      "send, then resume_run. After waitMs the command keeps running (kind timed_out; " +
      `resume_run collects it). Every output line comes back (the pane is tapped). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      command: z.string().min(1).max(MAX_TEXT).describe(
        "Shell command line, Python code, or a debugger/REPL command",
      ),
      args: z.array(z.string().max(MAX_TEXT)).max(1000).optional().describe(
        "Arguments of `command` (a shell): each reaches it as exec would pass it",
      ),
      mode: z.enum(RUN_MODES as [RunMode, ...RunMode[]]).optional().describe(
        "How to drive the program when its name does not tell",
      ),
      prompt: z.string().max(MAX_TEXT).optional().describe(
        "grep -E pattern of the prompt of any other prompt-based program (sqlite3, psql, ...)",
      ),
      waitMs: waitMs.optional().describe("How long to wait (default 30000)"),
      maxLines: z.number().int().min(1).optional().describe(
        "Return at most this many lines: the first and last ones, with one line between them " +
          "saying how many were left out and which private file (outputFile) holds them all",
      ),
      cursor: z.boolean().optional().describe("Also return a read cursor (for capture_since)"),
    },
    output: { ...RUN_OUTPUT, cursor: z.string().nullable().optional() },
    annotations: WRITE,
    run: (args, { context, signal, onProgress }) =>
      api.run({ ...args, context, signal, onProgress, touch: true }),
  }),

  resume_run: tool({
    description: "Wait again for a run that timed out or waited for input (after answering " +
      "it with send), in the same pane, and return the output it had not returned yet and " +
      `how it ended (as run.sh --resume). ${TARGET_NOTE}`,
    input: {
      ...TARGET,
      runId: z.string().regex(/^[0-9a-f]{16}$/).describe("The runId of the earlier run"),
      waitMs: waitMs.optional().describe("How long to wait (default 30000)"),
      maxLines: z.number().int().min(1).optional().describe("As in run"),
    },
    output: RUN_OUTPUT,
    annotations: WRITE,
    run: (args, { context, signal, onProgress }) =>
      api.resumeRun({ ...args, context, signal, onProgress, touch: true }),
  }),

  kill_session: tool({
    description: "Kill a tmux session and remove its registry entry (only an entry on that " +
      `socket) (as kill-session.sh). ${TARGET_NOTE}`,
    input: TARGET,
    output: {
      status: z.enum(["removed", "killed_not_deregistered", "deregistered_not_killed", "failed"]),
      killed: z.boolean(),
      killError: z.string().optional(),
      wasRegistered: z.boolean(),
      deregistered: z.boolean(),
      deregisterError: z.string().optional(),
    },
    annotations: { ...WRITE, destructiveHint: true },
    run: async (args, { context, signal }) => {
      const outcome = await api.killSession({ ...args, context, signal });
      return {
        ...outcome,
        killError: outcome.killError && errorLine(outcome.killError),
        deregisterError: outcome.deregisterError && errorLine(outcome.deregisterError),
      };
    },
  }),

  cleanup_sessions: tool({
    description: "Remove registry entries (never tmux sessions): those whose pane is not " +
      "healthy, those older than olderThan, or all (as cleanup-sessions.sh).",
    input: {
      all: z.boolean().optional(),
      olderThan: z.string().max(32).optional().describe("30s, 30m, 2h or 1d"),
      dryRun: z.boolean().optional().describe("Only report what would be removed"),
    },
    output: {
      registryEmpty: z.boolean(),
      items: z.array(z.object({ name: z.string(), reason: z.string() })),
    },
    annotations: { ...WRITE, destructiveHint: true },
    run: (args, { context, signal }) => api.cleanupSessions({ ...args, context, signal }),
  }),

  find_sessions: tool({
    description: "tmux sessions, registered or not, on one socket (socket path or " +
      "socketName) or on every socket in the socket folder (all) (as find-sessions.sh).",
    input: {
      socket: name.optional(),
      socketName: name.optional(),
      all: z.boolean().optional(),
      query: z.string().max(MAX_SHORT).optional().describe("Keep lines containing this, any case"),
    },
    output: {
      servers: z.array(z.object({
        socket: z.object({ path: z.string().optional(), name: z.string().optional() }),
        label: z.string(),
        running: z.boolean(),
        sessions: z.array(
          z.object({ name: z.string(), attached: z.boolean(), created: z.string() }),
        ),
      })),
    },
    annotations: READ,
    run: async (args, { context, signal }) => ({
      servers: await api.findSessions({ ...args, context, signal }),
    }),
  }),
};

const READ_ONLY_TOOLS: ReadonlySet<string> = new Set([
  "list_sessions",
  "pane_health",
  "capture",
  "capture_since",
  "find_sessions",
  "wait",
]);

/** A stdio transport whose tool errors are one line (schema errors list one issue a line). */
class OneLineErrorsTransport extends StdioServerTransport {
  override send(...args: Parameters<StdioServerTransport["send"]>): Promise<void> {
    const [message] = args;
    if ("result" in message && message.result.isError && Array.isArray(message.result.content)) {
      for (const part of message.result.content) {
        if (part.type === "text" && typeof part.text === "string") part.text = oneLine(part.text);
      }
    }
    return super.send(...args);
  }
}

await runTool({
  usage: USAGE,
  flags: {
    "read-only": { type: "boolean" },
    "any-socket": { type: "boolean" },
  },
  usageExit: 2,
  async main(flags) {
    const context = new Context({
      persistent: true,
      access: {
        anySocket: flags["any-socket"] ?? false,
        self: ownPane(Deno.env.get("TMUX"), Deno.env.get("TMUX_PANE")),
      },
    });
    const shutdown = new AbortController();
    const running = new Set<Promise<unknown>>();
    const server = new McpServer(
      { name: "claude-tmux", version: config.version },
      { capabilities: { tools: {} } },
    );

    const handle: Handle = async (extra, work) => {
      const token = extra._meta?.progressToken;
      const onProgress = token === undefined
        ? undefined
        : ({ elapsedMs, totalMs, message }: api.OperationProgress) => {
          extra.sendNotification({
            method: "notifications/progress",
            params: { progressToken: token, progress: elapsedMs, total: totalMs, message },
          }).catch(() => {});
        };
      const signal = AbortSignal.any([extra.signal, shutdown.signal]);
      const done = work({ context, signal, onProgress });
      running.add(done);
      try {
        const result = await done;
        return {
          content: [{ type: "text", text: JSON.stringify(result) }],
          structuredContent: result,
        };
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        return { content: [{ type: "text", text: errorLine(err) }], isError: true };
      } finally {
        running.delete(done);
      }
    };
    for (const [toolName, spec] of Object.entries(TOOLS)) {
      if (!flags["read-only"] || READ_ONLY_TOOLS.has(toolName)) {
        spec.register(server, toolName, handle);
      }
    }

    const transport = new OneLineErrorsTransport();
    let exitCode = 0;
    const { promise: stopped, resolve: stop } = Promise.withResolvers<void>();
    const end = (code: number) => {
      exitCode ||= code;
      stop();
    };
    process.stdin.on("end", () => end(0));
    process.stdin.on("close", () => end(0));
    const onSigterm = () => end(143);
    const onSigint = () => end(130);
    Deno.addSignalListener("SIGTERM", onSigterm);
    Deno.addSignalListener("SIGINT", onSigint);
    transport.onclose = () => end(0);
    await server.connect(transport);
    await stopped;

    // Cancel what runs, let it finish (a send is never cut in half), then detach.
    shutdown.abort(new Error("The MCP server is shutting down"));
    await Promise.allSettled(running);
    await server.close().catch(() => {});
    await context.close();
    Deno.removeSignalListener("SIGTERM", onSigterm);
    Deno.removeSignalListener("SIGINT", onSigint);
    return exitCode;
  },
});
