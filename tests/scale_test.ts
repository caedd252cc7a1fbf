/**
 * Scale: list-sessions' per-entry work is a look-up, not a scan of every
 * pane, and a process refused `/proc` pays that refusal once, not per pane.
 */
import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { join } from "node:path";
import { findPane, indexPanes, panesOfTarget } from "../lib/panes.ts";
import { Server } from "../lib/server.ts";
import { Sandbox } from "./helpers.ts";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("a target's look-up in the pane index matches the scan of every pane", async () => {
  await using box = await Sandbox.create();
  const sock = box.socket();
  await box.newSession(sock, "foobar");
  await box.newSession(sock, "foo");
  await box.tmux(sock, "new-window", "-t", "=foo:", "-n", "second", "cat");
  await box.tmux(sock, "split-window", "-t", "=foo:second", "cat");
  await box.newSession(sock, "x.y-z");
  const panes = (await new Server({ path: sock }).panes())!;
  equal(panes.length, 5);
  const index = indexPanes(panes);
  const ids = panes.map((p) => p.paneId);
  const targets = [
    "foo",
    "=foo",
    "foo:",
    "foo:0",
    "foo:1",
    "foo:1.0",
    "foo:1.1",
    "foo:1.2",
    "foo:second",
    "foo:second.1",
    `foo:second.${ids[2]}`,
    "fo",
    "foobar:0.0",
    "foobar:9",
    "x_y-z:0.0",
    "nope:0.0",
    ...ids,
    "%999999",
  ];
  for (const target of targets) {
    const subset = panesOfTarget(index, target);
    assertEquals(findPane(subset, target), findPane(panes, target), target);
    // Only the target's own session (or pane id) is looked at.
    for (const pane of subset) {
      equal(
        target.startsWith("%") ? pane.paneId === target : /foo|x_y|foobar/.test(pane.session),
        true,
      );
    }
  }
  equal(panesOfTarget(index, "foo").length, 3);
  equal(panesOfTarget(index, "foobar").length, 1);
});

Deno.test("a process refused /proc asks for it once, then trusts tmux", async () => {
  // Without --allow-all Deno 2.9 refuses every /proc read; count the reads tried.
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "probe.ts");
    await Deno.writeTextFile(
      script,
      `import { processRunning } from ${JSON.stringify(join(ROOT, "lib/health.ts"))};
       const read = Deno.readTextFileSync;
       let tried = 0;
       Deno.readTextFileSync = (path) => { tried++; return read(path); };
       const answers = [1, 2, 3, 4].map(() => processRunning(Deno.pid, 0));
       console.log(JSON.stringify({ answers, tried }));`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-prompt", `--allow-read=${ROOT}`, script],
      stderr: "inherit",
    }).output();
    equal(out.code, 0);
    assertEquals(JSON.parse(new TextDecoder().decode(out.stdout)), {
      answers: [true, true, true, true],
      tried: 1,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
