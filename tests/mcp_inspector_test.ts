/**
 * The MCP server driven by the MCP Inspector's command-line mode
 * (`@modelcontextprotocol/inspector-cli`, its `build/index.js`, run by Deno
 * from the npm registry): a client nobody here wrote lists the tools and
 * calls them, one process per call, each starting the server anew.
 */
import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { serverCommand } from "./fixtures/mcp.ts";
import { Sandbox } from "./helpers.ts";

/** The Inspector's CLI, pinned. */
const INSPECTOR = "npm:@modelcontextprotocol/inspector-cli@1.0.3/build/index.js";

/** Runs the Inspector's CLI against the server in `box`; its stdout parsed. */
async function inspector(box: Sandbox, args: string[]): Promise<Record<string, unknown>> {
  const server = serverCommand(box);
  // The CLI reads its own package.json for its client name, choosing the path by
  // `existsSync("../package.json")` against the working folder (npm's node_modules
  // layout hides that): a folder with a package.json above the working one.
  const cwd = join(box.root, "inspector", "cwd");
  await Deno.mkdir(cwd, { recursive: true });
  await Deno.writeTextFile(join(box.root, "inspector", "package.json"), "{}\n");
  const out = await new Deno.Command(Deno.execPath(), {
    // The server's command line first: the CLI takes what it does not know as part of it.
    args: ["run", "--quiet", "-A", INSPECTOR, server.command, ...server.args, ...args],
    // The Inspector passes its environment on to the server it starts.
    env: server.env,
    clearEnv: true,
    cwd,
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  equal(out.code, 0, `inspector ${args.join(" ")}: ${stderr}`);
  return JSON.parse(stdout);
}

Deno.test("the MCP Inspector's CLI lists the tools and calls them", async (t) => {
  await using box = await Sandbox.create();

  await t.step("tools/list", async () => {
    const { tools } = await inspector(box, ["--method", "tools/list"]) as {
      tools: { name: string; outputSchema?: unknown }[];
    };
    equal(tools.length, 13);
    for (const tool of tools) equal(typeof tool.outputSchema, "object", tool.name);
  });

  const call = (name: string, ...args: string[]) =>
    inspector(box, [
      "--method",
      "tools/call",
      "--tool-name",
      name,
      ...args.flatMap((a) => ["--tool-arg", a]),
    ]);

  await t.step("create_session, run, capture, kill_session", async () => {
    const made = await call("create_session", "name=insp");
    equal((made.structuredContent as { target: string }).target, "insp:0.0");
    const ran = await call("run", "session=insp", "command=echo from-inspector; (exit 4)");
    deepEqual(
      ran.structuredContent as Record<string, unknown>,
      {
        ...(ran.structuredContent as Record<string, unknown>),
        kind: "completed",
        output: "from-inspector",
        exitCode: 4,
      },
    );
    const shot = await call("capture", "session=insp");
    match((shot.structuredContent as { lines: string[] }).lines.join("\n"), /from-inspector/);
    const killed = await call("kill_session", "session=insp");
    deepEqual(killed.structuredContent, {
      status: "removed",
      killed: true,
      wasRegistered: true,
      deregistered: true,
    });
  });

  await t.step("a tool error comes back as one line", async () => {
    const failed = await call("pane_health", "session=nope");
    equal(failed.isError, true);
    deepEqual(failed.content, [{
      type: "text",
      text: "Error: Session 'nope' not found in registry",
    }]);
  });
});
