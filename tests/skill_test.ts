/**
 * skill/SKILL.md can never drift from the tools: every command in its
 * `bash` blocks runs, in order, in a private world (a Sandbox with the
 * shims installed as `./tools/NAME.sh`, as the skill layout has them), and
 * each block must succeed. Its front matter is the skill format's.
 */
import { equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { SERVER_NAMES, TOOL_NAMES } from "../lib/permissions.ts";
import { SKILL_MARKER } from "../scripts/install-shims.ts";
import { Sandbox } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const SKILL = join(ROOT, "skill", "SKILL.md");
const decoder = new TextDecoder();

/** The fenced blocks of `text` in `language`, with the line each starts on. */
export function fencedBlocks(text: string, language: string): { line: number; code: string }[] {
  const blocks: { line: number; code: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```" + language) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    blocks.push({ line: start + 1, code: lines.slice(start, end).join("\n") });
    i = end;
  }
  return blocks;
}

/** Runs scripts/install-shims.ts. */
async function installShims(...args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "scripts", "install-shims.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: decoder.decode(out.stderr) };
}

Deno.test("install-shims --skill writes SKILL.md beside the tools folder, never over another", async () => {
  await using box = await Sandbox.create();
  const tools = join(box.root, "skill-a", "tools");
  equal((await installShims(tools)).code, 0);
  await Deno.stat(join(tools, "mcp-server.sh"));
  await rejects(Deno.stat(join(box.root, "skill-a", "SKILL.md")), Deno.errors.NotFound);
  await Deno.writeTextFile(join(box.root, "skill-a", "SKILL.md"), "mine\n");
  const refused = await installShims(tools, "--skill");
  equal(refused.code, 1);
  match(refused.stderr, /Refusing to overwrite .*SKILL\.md: not written by --skill/);
  equal(await Deno.readTextFile(join(box.root, "skill-a", "SKILL.md")), "mine\n");
  equal((await installShims(tools, "--skill", "--force")).code, 0);
  equal((await installShims(tools, "--skill")).code, 0, "its own copy is updated");
  match(await Deno.readTextFile(join(box.root, "skill-a", "SKILL.md")), /^---\nname: /);
});

Deno.test("SKILL.md has the skill format's front matter and names every tool", async () => {
  const text = await Deno.readTextFile(SKILL);
  match(text, /^---\nname: [a-z0-9-]+\ndescription: .{40,}\n---\n/);
  for (const tool of [...TOOL_NAMES, ...SERVER_NAMES]) {
    ok(text.includes(`${tool}.sh`), `SKILL.md mentions ${tool}.sh`);
  }
});

Deno.test("every command in SKILL.md runs in a private world", async (t) => {
  await using box = await Sandbox.create();
  const skillDir = join(box.root, "my-skill");
  const install = await installShims(join(skillDir, "tools"), "--skill");
  equal(install.code, 0, install.stderr);
  // The installed copy is the one run: the checkout's, with the marker line.
  const installed = await Deno.readTextFile(join(skillDir, "SKILL.md"));
  equal(installed, `${await Deno.readTextFile(SKILL)}\n${SKILL_MARKER}\n`);
  const blocks = fencedBlocks(installed, "bash");
  ok(blocks.length >= 10, `found ${blocks.length} bash blocks`);
  for (const block of blocks) {
    await t.step(`SKILL.md line ${block.line}`, async () => {
      const out = await new Deno.Command("bash", {
        // -x: the failing command is the last one traced.
        args: ["-euxo", "pipefail", "-c", block.code],
        env: box.env,
        clearEnv: true,
        cwd: skillDir,
        stdin: "null",
      }).output();
      const stdout = decoder.decode(out.stdout);
      const stderr = decoder.decode(out.stderr);
      equal(out.code, 0, `block at line ${block.line} failed:\n${stderr}\n${stdout}`);
    });
  }
});
