/**
 * The floor of a tool that asks tmux once: a Deno start plus one
 * `tmux -S SOCKET display -p` call through Deno.Command, as lib/tmux.ts does it.
 */
const [socket] = Deno.args;
const out = await new Deno.Command("tmux", {
  args: ["-S", socket, "display", "-p", "#{pid}"],
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
}).output();
Deno.exit(out.success ? 0 : 1);
