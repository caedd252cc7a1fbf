import { deepEqual as assertEquals, equal } from "node:assert/strict";
import { MAX_TIMER_MS, parseDuration, sleep, withDeadline } from "../lib/time.ts";

/** The delays of the timers `fn` arms (setTimeout is watched while it runs). */
async function timerDelays(fn: () => Promise<void>): Promise<number[]> {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((handler: () => void, delay?: number) => {
    delays.push(delay ?? 0);
    return original(handler, delay);
  }) as typeof setTimeout;
  try {
    await fn();
  } finally {
    globalThis.setTimeout = original;
  }
  return delays;
}

Deno.test("a delay past 2^31 - 1 ms is waited out, not fired at once", async () => {
  // Deno fires a timer of 2^31 ms or more after 1 ms: no timer may be armed with one.
  const stop = new AbortController();
  const delays = await timerDelays(async () => {
    const sleeping = sleep(2 ** 31 + 5, stop.signal);
    stop.abort();
    equal(await sleeping, false, "cancelled, not elapsed");
  });
  assertEquals(delays, [MAX_TIMER_MS]);

  const deadline = await timerDelays(async () => {
    equal(await withDeadline("op", { timeoutMs: 10 * MAX_TIMER_MS }, () => Promise.resolve(7)), 7);
  });
  assertEquals(deadline, [MAX_TIMER_MS]);

  const short = await timerDelays(async () => {
    equal(await sleep(1), true);
  });
  assertEquals(short, [1]);
});

Deno.test("--older-than numbers are read as the original's bash arithmetic reads them", async () => {
  // A leading 0 is octal; 08 and 019 are errors there (exit 1), as here (invalid duration).
  for (const value of ["0", "00", "1", "01", "010", "0777", "59", "08", "019"]) {
    const bash = await new Deno.Command("bash", {
      args: ["-c", 'value="$1"; echo "$((value * 60))"', "_", value],
      stdout: "piped",
      stderr: "null",
    }).output();
    const expected = bash.success
      ? Number(new TextDecoder().decode(bash.stdout).trim())
      : undefined;
    equal(parseDuration(`${value}m`), expected, `${value}m`);
  }
  // Past 2^53 seconds bash's 64-bit arithmetic wraps around; here it is an invalid duration.
  equal(parseDuration("150119987579016m"), 150119987579016 * 60);
  equal(parseDuration("150119987579017m"), undefined);
});
