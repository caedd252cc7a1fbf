/**
 * A pane of a {@link Server}: its state and text, sending to it in each
 * mode (tmux keys then Enter, literal text, a pasted block, bare key names),
 * the one atomic anchored send that a wait for "output after the send"
 * needs, and its health. Every operation targets the pane by its id (`%N`),
 * which never matches anything else.
 *
 * @module
 */
import { captureArgs, captureLines, type CaptureOptions } from "./capture.ts";
import {
  SendFailedError,
  ServerNotRunningError,
  TmuxCommandError,
  TmuxTimeoutError,
} from "./errors.ts";
import type { PaneHealth } from "./health.ts";
import { parseKeys } from "./keys.ts";
import type { PaneInfo } from "./panes.ts";
import { FIELD_SEP, formatTemplate, tmuxArgument } from "./quote.ts";
import type { PaneEvents, Spawner } from "./control.ts";
import type { CallOptions, RunTmuxOptions, Socket } from "./tmux.ts";
import { sleep } from "./time.ts";

/**
 * How text reaches the pane: tmux keys then Enter, literal text, a pasted
 * block, or `press`: the text is tmux key names separated by blanks
 * (`"Space"`, `"Escape : q Enter"`), checked and pressed in order with no
 * Enter added.
 */
export type SendMode = "keys" | "literal" | "paste" | "press";

/** Every {@link SendMode}, for validating input. */
export const SEND_MODES: readonly SendMode[] = ["keys", "literal", "paste", "press"];

/** A pane's state at one moment. */
export interface PaneState {
  /** tmux marks the pane dead (its process exited under remain-on-exit). */
  dead: boolean;
  /** Lines of history above the screen. */
  historySize: number;
  /** The most lines of history the pane keeps (tmux drops the oldest beyond it). */
  historyLimit: number;
  /** The cursor's screen row. */
  cursorY: number;
  /** The cursor's column. */
  cursorX: number;
  /** The alternate screen is on (a full-screen program such as less, vim or top). */
  alternateOn: boolean;
  /** The name of the pane's session. */
  session: string;
}

/** Text and state of a pane, read in one tmux call so they agree. */
export interface PaneSnapshot {
  /** The captured lines. */
  lines: string[];
  /** The state right after the capture (no output can arrive in between). */
  state: PaneState;
}

/** Where the cursor was at the moment of a send, in absolute history terms. */
export interface Anchor {
  /** Lines of history above the screen then. */
  historySize: number;
  /** The cursor's screen row then. */
  cursorY: number;
  /** The cursor's column then (when known). */
  cursorX?: number;
  /** The alternate screen was on then (a full-screen program). */
  alternateOn: boolean;
}

/** Options of a send. */
export interface PaneSendOptions extends CallOptions {
  /** Attempts per tmux call, at least 1 (default 3). */
  attempts?: number;
  /** Wait before the second attempt; doubled for each further one (default 500). */
  backoffMs?: number;
  /** Progress messages for people (retries). */
  onProgress?: (message: string) => void;
}

/** {@link PaneSendOptions}, and whether a timed-out call may be repeated. */
interface RetryOptions extends PaneSendOptions {
  /** Repeat a call that timed out (default true). */
  retryTimeouts?: boolean;
}

const STATE_FIELDS = [
  "pane_dead",
  "history_size",
  "history_limit",
  "cursor_y",
  "cursor_x",
  "alternate_on",
  "session_name",
] as const;

/**
 * What a pane needs of its server (a `Server` is one): its socket, tmux
 * calls, a long-lived tmux process (control mode), and the health of a target.
 */
export interface PaneServer extends Spawner {
  /** The socket. */
  readonly socket: Socket;
  /** The socket as messages name it. */
  readonly label: string | undefined;
  /** Runs one tmux command on the server and returns its stdout. */
  run(args: string[], options?: RunTmuxOptions): Promise<string>;
  /** The health of the pane `target` points at. */
  health(target: string, options?: CallOptions): Promise<PaneHealth>;
  /** Whether the server keeps a control connection (waits then share its events). */
  readonly persistent: boolean;
  /** Notifications of a session's pane (see `Server.events`); `null` when none can be had. */
  events(
    session: string,
    pane: string,
    options?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<PaneEvents | null>;
}

/** A pane, known by its id on its server. */
export class Pane {
  /** The pane's server. */
  readonly server: PaneServer;
  /** What tmux reported of the pane when it was found. */
  readonly info: PaneInfo;

  /** Wraps a pane record; get panes from `Server.pane`. */
  constructor(server: PaneServer, info: PaneInfo) {
    this.server = server;
    this.info = info;
  }

  /** The pane id, `%N`: a target that never matches by prefix. */
  get id(): string {
    return this.info.paneId;
  }

  /** The name of the pane's session (when it was found). */
  get session(): string {
    return this.info.session;
  }

  /**
   * The pane's state: one `display-message` call.
   *
   * @throws {TmuxCommandError} the pane no longer exists.
   */
  async state(options: CallOptions = {}): Promise<PaneState> {
    const line = (await this.server.run(this.#stateArgs(), options)).replace(/\n$/, "");
    // For a pane that is gone, tmux 3.3 expands the format with no pane and exits 0.
    if (line.split(FIELD_SEP)[2] === "") {
      throw new TmuxCommandError("display-message", `can't find pane: ${this.id}`, 1);
    }
    return parseState(line);
  }

  /**
   * Captures the pane and reads its state in one tmux call
   * (`capture-pane ... ; display-message ...`): tmux runs both before it
   * reads more output from the pane, so the state describes exactly the
   * captured text.
   *
   * @throws {TmuxCommandError} the pane no longer exists.
   */
  async snapshot(capture: CaptureOptions = {}, options: CallOptions = {}): Promise<PaneSnapshot> {
    const stdout = await this.server.run(
      [...captureArgs(this.id, capture), ";", ...this.#stateArgs()],
      options,
    );
    const text = stdout.replace(/\n$/, "");
    const cut = text.lastIndexOf("\n");
    return {
      lines: captureLines(cut === -1 ? "" : text.slice(0, cut + 1), capture),
      state: parseState(text.slice(cut + 1)),
    };
  }

  /**
   * The pane's text as lines.
   *
   * @throws {TmuxCommandError} the pane no longer exists.
   */
  async capture(capture: CaptureOptions = {}, options: CallOptions = {}): Promise<string[]> {
    return captureLines(await this.server.run(captureArgs(this.id, capture), options), capture);
  }

  /** The pane's health now: one tmux call. */
  health(options: CallOptions = {}): Promise<PaneHealth> {
    return this.server.health(this.id, options);
  }

  /**
   * Sends `text` the way `mode` says: `keys` (tmux key arguments, so `C-c`
   * is Ctrl-C, then Enter as its own call; empty text sends just Enter),
   * `literal` (typed as is, no Enter), or `paste` (a block through a private
   * buffer, ending with a blank line so a REPL runs it). Each tmux call is
   * retried with exponential backoff, so text is never sent twice. An abort
   * is honoured before the text goes, never between the text and its Enter,
   * so a send is never left half done.
   *
   * @throws {SendFailedError} a call failed on every attempt.
   */
  async send(text: string, mode: SendMode, options: PaneSendOptions = {}): Promise<void> {
    switch (mode) {
      case "keys":
        if (text !== "") {
          await this.#retry(
            "send-keys",
            options,
            (call) => this.server.run(["send-keys", "-t", this.id, "--", tmuxArgument(text)], call),
          );
        }
        await this.#retry(
          "send-keys Enter",
          text === "" ? options : { ...options, signal: undefined },
          (call) => this.server.run(["send-keys", "-t", this.id, "Enter"], call),
        );
        return;
      case "literal":
        if (text === "") return;
        await this.#retry(
          "send-keys -l",
          options,
          (call) =>
            this.server.run(["send-keys", "-l", "-t", this.id, "--", tmuxArgument(text)], call),
        );
        return;
      case "paste":
        await this.#paste(withBlankLine(text), [], options);
        return;
      case "press":
        await this.sendKeys(parseKeys(text), options);
        return;
    }
  }

  /**
   * Presses tmux keys by name (`Space`, `Escape`, `C-c`, `q`, ...), in one
   * call, with no Enter added.
   *
   * @throws {SendFailedError} the call failed on every attempt.
   */
  async sendKeys(keys: readonly string[], options: PaneSendOptions = {}): Promise<void> {
    if (keys.length === 0) return;
    await this.#retry(
      "send-keys",
      options,
      (call) =>
        this.server.run(["send-keys", "-t", this.id, "--", ...keys.map(tmuxArgument)], call),
    );
  }

  /**
   * Takes the anchor and sends `text` in one tmux call, so no output can
   * slip in between: `display-message` (the anchor), then the send, then
   * Enter (`keys` and `line` modes). `line` types the text literally and
   * presses Enter; `press` presses the key names in `text` (no Enter);
   * `paste` loads the block first and pastes it as it is in the same call as
   * the anchor (no Enter, no blank line added). Empty text in `literal` mode
   * sends nothing: the call only takes the anchor (after `before`). A call that
   * tmux refused is retried like {@link Pane.send}; one that timed out is
   * not (it may have been carried out, and text must never arrive twice).
   * `before` holds tmux commands to run first, in the same call;
   * `bracketed` pastes with `paste-buffer -p` (bracketed paste, where the
   * program asked for it: a line editor then inserts the text as it is).
   *
   * @throws {SendFailedError} the call failed.
   */
  async sendAnchored(
    text: string,
    mode: SendMode | "line",
    options: PaneSendOptions & { before?: string[]; bracketed?: boolean } = {},
  ): Promise<Anchor> {
    const anchorArgs = this.#anchorArgs(options.before);
    let stdout = "";
    const once = { ...options, retryTimeouts: false };
    if (mode === "paste") {
      await this.#paste(text, anchorArgs, once, (out) => stdout = out, options.bracketed);
    } else {
      const literal = mode === "keys" || mode === "press" ? [] : ["-l"];
      const words = mode === "press" ? parseKeys(text) : text === "" ? [] : [text];
      const typed = words.length === 0
        ? []
        : [";", "send-keys", ...literal, "-t", this.id, "--", ...words.map(tmuxArgument)];
      const enter = mode === "literal" || mode === "press"
        ? []
        : [";", "send-keys", "-t", this.id, "Enter"];
      await this.#retry("send-keys", once, async (call) => {
        stdout = await this.server.run([...anchorArgs, ...typed, ...enter], call);
      });
    }
    return parseAnchor(stdout);
  }

  /**
   * Takes the anchor without sending anything: where the cursor is now,
   * after the tmux commands of `before` (opening a tap), in the same call.
   *
   * @throws {TmuxCommandError} the pane no longer exists.
   */
  async anchor(options: CallOptions & { before?: string[] } = {}): Promise<Anchor> {
    return parseAnchor(await this.server.run(this.#anchorArgs(options.before), options));
  }

  /** `before` (commands that must run first in the same call), then the anchor's `display-message`. */
  #anchorArgs(before: string[] = []): string[] {
    return [
      ...(before.length ? [...before, ";"] : []),
      "display-message",
      "-p",
      "-t",
      this.id,
      formatTemplate(["history_size", "cursor_y", "alternate_on", "cursor_x"]),
    ];
  }

  /**
   * Pastes `text` as it is through a private buffer: `load-buffer -b NAME -`
   * with the text on stdin (not in argv), then `paste-buffer -d -b NAME`
   * (after `before`, in the same call), which deletes the buffer; if the
   * paste never happened, the buffer is deleted anyway.
   */
  async #paste(
    text: string,
    before: string[],
    options: RetryOptions,
    onOutput?: (stdout: string) => void,
    bracketed = false,
  ): Promise<void> {
    const buffer = `ctmux-${crypto.randomUUID()}`;
    let pasted = false;
    try {
      await this.#retry(
        "load-buffer",
        options,
        (call) =>
          this.server.run(["load-buffer", "-b", buffer, "-"], {
            ...call,
            stdin: new TextEncoder().encode(text),
          }),
      );
      const paste = ["paste-buffer", "-d", ...bracketed ? ["-p"] : [], "-b", buffer, "-t", this.id];
      await this.#retry("paste-buffer", options, async (call) => {
        const out = await this.server.run(before.length ? [...before, ";", ...paste] : paste, call);
        onOutput?.(out);
      });
      pasted = true;
    } finally {
      if (!pasted) await this.server.run(["delete-buffer", "-b", buffer]).catch(() => {});
    }
  }

  /**
   * Runs one tmux call with retries and exponential backoff.
   *
   * @throws {SendFailedError} every attempt failed.
   */
  async #retry(
    what: string,
    options: RetryOptions,
    run: (call: CallOptions) => Promise<unknown>,
  ): Promise<void> {
    const attempts = Math.max(1, Math.floor(options.attempts ?? 3));
    const backoffMs = options.backoffMs ?? 500;
    const call = { timeoutMs: options.timeoutMs, signal: options.signal };
    for (let attempt = 1;; attempt++) {
      try {
        await run(call);
        return;
      } catch (error) {
        const retryable = error instanceof TmuxCommandError ||
          error instanceof ServerNotRunningError ||
          (error instanceof TmuxTimeoutError && options.retryTimeouts !== false);
        if (!retryable || options.signal?.aborted) throw error;
        if (attempt >= attempts) throw new SendFailedError(attempts, error);
        const delay = backoffMs * 2 ** (attempt - 1);
        options.onProgress?.(
          `${what} failed (attempt ${attempt}/${attempts}): ${error.message}; ` +
            `retrying in ${delay / 1000}s`,
        );
        if (!(await sleep(delay, options.signal))) throw options.signal?.reason;
      }
    }
  }

  #stateArgs(): string[] {
    return ["display-message", "-p", "-t", this.id, formatTemplate(STATE_FIELDS)];
  }
}

/** A block ending with a blank line (what a REPL needs to run it). */
export function withBlankLine(text: string): string {
  if (text === "") return "\n";
  if (text.endsWith("\n\n")) return text;
  return text.endsWith("\n") ? `${text}\n` : `${text}\n\n`;
}

/** The anchor from the output of its `display-message` (the last line: `before` may print too). */
function parseAnchor(stdout: string): Anchor {
  const [historySize, cursorY, alternate, cursorX] = (stdout.trim().split("\n").at(-1) ?? "")
    .split(FIELD_SEP);
  if (historySize === "") {
    // For a pane that is gone, tmux 3.3 expands the format with no pane and exits 0.
    throw new TmuxCommandError("display-message", "can't find pane", 1);
  }
  return {
    historySize: Number(historySize) || 0,
    cursorY: Number(cursorY) || 0,
    cursorX: Number(cursorX) || 0,
    alternateOn: alternate === "1",
  };
}

function parseState(line: string): PaneState {
  const [dead, history, limit, cursorY, cursorX, alternate, ...session] = line.split(FIELD_SEP);
  return {
    dead: dead === "1",
    historySize: Number(history) || 0,
    historyLimit: Number(limit) || 0,
    cursorY: Number(cursorY) || 0,
    cursorX: Number(cursorX) || 0,
    alternateOn: alternate === "1",
    session: session.join(FIELD_SEP),
  };
}
