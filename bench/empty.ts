// The Deno floor: `deno run` of a script that does nothing.
