/** The byte-stream renderer: what a full-screen program draws is a screen, not output lines. */
import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { TerminalLines } from "../lib/render.ts";

const encoder = new TextEncoder();

Deno.test("the alternate screen is left out; the lines around it are kept", () => {
  const stream = new TerminalLines();
  stream.write(encoder.encode("$ seq 1 200 | less\r\n\x1b[?1049h\x1b[H1\r\n2\r\n\x1b[7m:\x1b[m"));
  // Split inside the switch back, as a pipe may deliver it.
  stream.write(encoder.encode("\x1b[?10"));
  stream.write(encoder.encode("49l\rless exited 0\r\n$ "));
  assertEquals(stream.lines(), ["$ seq 1 200 | less", "less exited 0"]);
  equal(stream.partial, "$ ");
});

Deno.test("OSC marks still arrive while the alternate screen is on", () => {
  const marks: string[] = [];
  const stream = new TerminalLines((event) => marks.push(event.text));
  stream.write(encoder.encode("a\r\n\x1b[?47hdrawn\x1b]7777;x\x07\x1b[?47lb\r\n"));
  assertEquals(marks, ["7777;x"]);
  assertEquals(stream.lines(), ["a", "b"]);
});
