/**
 * Is the pane's foreground program waiting for input? Asked only when a run
 * has not ended, its output has gone quiet and its last line is a partial
 * one (a prompt printed without a line break): then `ps` lists the processes
 * of the pane's terminal, and the foreground process group (its members
 * have the terminal's `tpgid` as their process group) waits for input when
 * every member sleeps (`S`) in a read of the terminal (`wait_woken`,
 * `n_tty_read`) or in `poll`/`select`/`epoll` (line editors such as
 * readline, node's event loop). A process that computes (`R`), sleeps on a
 * timer or waits for a child is not waiting.
 *
 * Deno grants no part of `/proc` without `--allow-all`, so the process
 * table comes from `ps` (`--allow-run=ps`, one call of 10 to 25 ms; never on
 * the path of a command that ends). Where `ps` is missing or not allowed
 * the answer is "unknown" and runs end on their own end or their timeout.
 *
 * Limits: the kernel does not say which file a process polls, so a program
 * that printed a partial line and then waits on the network in `poll` looks
 * like one waiting for input; a program blocked writing to the terminal
 * (tmux slow to drain it) sleeps in the same wait as one reading it, which
 * is why the caller asks twice, with no output between; a program that waits for input without any
 * partial line (a bare `read`) is not reported (its run times out, and
 * `--resume` collects it later).
 *
 * @module
 */
import { runHelper } from "../tmux.ts";

/**
 * What `ps` says of the pane's foreground: `editing` (every process waits in
 * `poll`/`select`: a line editor such as readline), `reading` (waiting, one
 * of them in a plain read of the terminal: `read`, a password prompt),
 * `busy`, or `unknown`.
 */
export type Foreground = "editing" | "reading" | "busy" | "unknown";

/** Kernel wait channels of a process blocked reading a terminal or polling for input. */
const READ_WAIT =
  /^(wait_woken|n_tty_read|tty_read|poll_schedule_timeout|do_select|core_sys_select|do_sys_poll|ep_poll|do_epoll_wait)/;

/** One process line of `ps -o pid=,pgid=,tpgid=,stat=,wchan:40=,comm=`. */
export interface ProcessRow {
  /** Process group. */
  pgid: string;
  /** The terminal's foreground process group. */
  tpgid: string;
  /** State (`S` sleeping, `R` running, ...), with `+` in the foreground group. */
  stat: string;
  /** Kernel function it waits in (`-` when none or hidden). */
  wchan: string;
  /** Program name. */
  comm: string;
}

/** Parses `ps` output (comm, the last field, may hold blanks). */
export function parsePs(stdout: string): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const line of stdout.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    rows.push({
      pgid: fields[1],
      tpgid: fields[2],
      stat: fields[3],
      wchan: fields[4],
      comm: fields.slice(5).join(" "),
    });
  }
  return rows;
}

/** The processes of the terminal's foreground group. */
export function foregroundGroup(rows: readonly ProcessRow[]): ProcessRow[] {
  return rows.filter((row) => row.pgid === row.tpgid);
}

/** Whether a process sleeps in a plain read of the terminal (not in a line editor's poll). */
export function inTtyRead(row: ProcessRow): boolean {
  return row.stat.startsWith("S") && /^(wait_woken|n_tty_read|tty_read)/.test(row.wchan);
}

/**
 * The verdict on `ps` rows: waiting (`editing` or `reading`) when the
 * foreground group exists and every member sleeps in a read or poll (or in
 * a wait `ps` can't name), else `busy`.
 */
export function foregroundOf(rows: readonly ProcessRow[]): Foreground {
  const fg = foregroundGroup(rows);
  if (fg.length === 0) return "unknown";
  const waiting = fg.every((row) =>
    row.stat.startsWith("S") && (READ_WAIT.test(row.wchan) || /^[-?]$/.test(row.wchan))
  );
  if (!waiting) return "busy";
  return fg.some(inTtyRead) ? "reading" : "editing";
}

/** Asks `ps` about one terminal; after a failure it answers `unknown` without trying again. */
export class ForegroundWatch {
  #usable = true;

  /** A watch on the terminal `tty` (`/dev/pts/N`). */
  constructor(readonly tty: string) {}

  /** Whether `ps` can still be asked. */
  get usable(): boolean {
    return this.#usable && this.tty !== "";
  }

  /** What the terminal's foreground does now. */
  async check(): Promise<Foreground> {
    const rows = await this.processes();
    return rows === null ? "unknown" : foregroundOf(rows);
  }

  /** The terminal's processes, or `null` when `ps` can't tell. */
  async processes(): Promise<ProcessRow[] | null> {
    if (!this.usable) return null;
    try {
      const out = await runHelper("ps", [
        "-o",
        "pid=,pgid=,tpgid=,stat=,wchan:40=,comm=",
        "-t",
        this.tty,
      ]);
      // ps exits 1 when no process matched: nothing runs on the terminal.
      if (!out.success) return null;
      return parsePs(out.stdout);
    } catch (error) {
      // Not installed, or not allowed (--allow-run without ps): never again.
      if (!(error instanceof Error)) throw error;
      this.#usable = false;
      return null;
    }
  }
}
