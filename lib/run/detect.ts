/**
 * The pane decides: before anything is typed, one tmux call reads what the
 * pane runs now (the foreground program, `#{pane_current_command}`), whether
 * it shows the alternate screen (a full-screen program) or a tmux mode, and
 * the text on the cursor's row up to the cursor (the prompt). From that and
 * the caller's `mode`/`prompt` (the registry type is only a hint) comes the
 * mode of the run, or a refusal that says why nothing was typed.
 *
 * @module
 */
import type { Pane } from "../pane.ts";
import { FIELD_SEP, formatTemplate } from "../quote.ts";
import { charWidth } from "../render.ts";
import type { CallOptions } from "../tmux.ts";
import { foregroundGroup, type ForegroundWatch, inTtyRead } from "./waiting.ts";
import {
  MODE_PROMPTS,
  modeOfProgram,
  modeOfPrompt,
  modeOfType,
  programName,
  PYTHON_CONTINUATION,
  type RunMode,
  type ShellDialect,
  shellDialect,
} from "./modes.ts";

/** The pane user option that names a run whose tap was left open (see `pending.ts`). */
export const PENDING_OPTION = "@ctmux-run";

/** What the pane shows and runs at one moment. */
export interface PaneView {
  /** The foreground program, as tmux names it. */
  program: string;
  /** The alternate screen is on (a full-screen program such as vim or less). */
  alternate: boolean;
  /** The pane is in a tmux mode (copy mode): keys would go to the mode. */
  inMode: boolean;
  /** The cursor's column. */
  cursorX: number;
  /** The pane's width in columns. */
  width: number;
  /** The pane's terminal (`/dev/pts/N`). */
  tty: string;
  /** The pane's output is piped (`pipe-pane`). */
  pipe: boolean;
  /** The run whose tap this pane still feeds (empty: none). */
  pendingRun: string;
  /** The cursor's row up to the cursor: the prompt, when a program waits at one. */
  promptLine: string;
  /**
   * The program asked for application cursor keys: a line editor that
   * redraws its line at each key (Python 3.13's REPL), so text is pasted.
   */
  cursorKeys: boolean;
}

const VIEW_FIELDS = [
  "pane_id",
  "pane_current_command",
  "alternate_on",
  "pane_in_mode",
  "cursor_x",
  "cursor_y",
  "pane_width",
  "pane_tty",
  "pane_pipe",
  "keypad_cursor_flag",
  PENDING_OPTION,
] as const;

/** Starts the view's line, so it is found after other commands' output in the same call. */
const VIEW_MARK = `ctmux-view${FIELD_SEP}`;

/**
 * tmux commands that print the view of the pane `target` names (state,
 * then the visible screen, which holds the cursor's row): run them alone
 * or after other commands of the same call, and read with {@link parseView}.
 */
export function viewArgs(target: string): string[] {
  return [
    "display-message",
    "-p",
    "-t",
    target,
    VIEW_MARK + formatTemplate(VIEW_FIELDS),
    ";",
    "capture-pane",
    "-p",
    "-t",
    target,
  ];
}

/** Where {@link viewArgs}' output starts in `stdout` (-1: not there). */
export function viewStart(stdout: string): number {
  if (stdout.startsWith(VIEW_MARK)) return 0;
  const at = stdout.indexOf(`\n${VIEW_MARK}`);
  return at === -1 ? -1 : at + 1;
}

/** The view from {@link viewArgs}' output (`stdout` starting at {@link viewStart}). */
export function parseView(stdout: string): PaneView & { paneId: string } {
  const [head, ...rows] = stdout.split("\n");
  const [, paneId, program, alternate, inMode, x, y, width, tty, pipe, keys, pending] = head
    .split(FIELD_SEP);
  const cursorX = Number(x) || 0;
  return {
    paneId: paneId ?? "",
    program: program ?? "",
    alternate: alternate === "1",
    inMode: inMode === "1",
    cursorX,
    width: Number(width) || 80,
    tty: tty ?? "",
    pipe: pipe === "1",
    pendingRun: pending ?? "",
    promptLine: cells(rows[Number(y) || 0] ?? "", cursorX),
    cursorKeys: keys === "1",
  };
}

/**
 * Reads the pane's {@link PaneView} in one tmux call.
 *
 * @throws {TmuxCommandError} the pane no longer exists.
 */
export async function viewPane(pane: Pane, options: CallOptions = {}): Promise<PaneView> {
  return parseView(await pane.server.run(viewArgs(pane.id), options));
}

/** The first `count` cells of a captured row (which has its trailing blanks cut). */
export function cells(row: string, count: number): string {
  let out = "";
  let used = 0;
  for (const ch of row) {
    const width = charWidth(ch.codePointAt(0)!);
    if (used + width > count) break;
    out += ch;
    used += width;
  }
  return out + " ".repeat(Math.max(0, count - used));
}

/** What the caller asked for. */
export interface ModeRequest {
  /** A mode named by the caller (`--mode`). */
  mode?: RunMode;
  /** A prompt pattern (`--prompt`): the run is prompt-driven with this prompt. */
  prompt?: (line: string) => boolean;
  /** The registry's type: a hint only. */
  type?: string;
}

/** How to run in this pane, as decided. */
export interface Decided {
  /** The mode. */
  mode: RunMode;
  /** The shell's dialect (shell mode). */
  dialect?: ShellDialect;
}

/** Why nothing was typed. */
export interface Refusal {
  /** One line for people. */
  reason: string;
  /** The program the pane runs (as far as run could tell). */
  program: string;
}

/** `text` quoted for a message: JSON string syntax, so blanks and controls show. */
function shown(text: string): string {
  return JSON.stringify(text);
}

/**
 * The mode for a pane, or why run refuses it: a tmux mode, a full-screen
 * program, a program run does not drive (unless a prompt pattern is given),
 * or a known program that is not at its prompt.
 */
export function decideMode(
  view: PaneView,
  target: string,
  request: ModeRequest,
): Decided | Refusal {
  const decided = chooseMode(view, target, request);
  return "reason" in decided ? { ...decided, program: programName(view.program) } : decided;
}

function chooseMode(
  view: PaneView,
  target: string,
  request: ModeRequest,
): Decided | Omit<Refusal, "program"> {
  const program = programName(view.program) || "an unknown program";
  if (view.inMode) {
    return { reason: `Pane ${target} is in a tmux mode (copy mode): run types nothing there` };
  }
  if (view.alternate) {
    return {
      reason: `Pane ${target} runs '${program}', a full-screen program: run types nothing there`,
    };
  }
  const atPrompt = (
    mode: RunMode,
    test: (line: string) => boolean,
  ): Decided | Omit<Refusal, "program"> => {
    if (test(view.promptLine)) return { mode };
    if (mode === "python" && PYTHON_CONTINUATION.test(view.promptLine)) {
      return {
        reason: `Pane ${target} runs '${program}' with a block still open (prompt '... '): ` +
          "finish or cancel it first (safe-send -c C-c)",
      };
    }
    return {
      reason: `Pane ${target} runs '${program}', which is not at its prompt ` +
        `(the cursor's row shows ${shown(view.promptLine.trimEnd())}): run types nothing ` +
        "while it is busy or asks for input",
    };
  };
  const promptOf = (mode: RunMode) => (line: string) =>
    mode !== "shell" && mode !== "prompt" && MODE_PROMPTS[mode].test(line);

  if (request.prompt) return atPrompt("prompt", request.prompt);
  if (request.mode === "shell") {
    return { mode: "shell", dialect: shellDialect(view.program) ?? "bash" };
  }
  if (request.mode !== undefined && request.mode !== "prompt") {
    return atPrompt(request.mode, promptOf(request.mode));
  }
  const byName = modeOfProgram(view.program);
  if (byName === "shell") return { mode: "shell", dialect: shellDialect(view.program) };
  // A distinctive prompt on the cursor's row tells the mode whatever the program's
  // name (pdb in python3, gdb in a wrapper); node's bare "> " needs node itself.
  const byPrompt = modeOfPrompt(view.promptLine);
  if (byPrompt) return { mode: byPrompt };
  if (byName) return atPrompt(byName, promptOf(byName));
  const hinted = modeOfType(request.type);
  if (hinted && hinted !== "shell" && promptOf(hinted)(view.promptLine)) {
    return { mode: hinted };
  }
  return {
    reason: `Pane ${target} runs '${program}', which run does not drive (a shell, Python, ` +
      "pdb, gdb, lldb or node at its prompt): give --prompt REGEX to drive another " +
      "prompt-based program",
  };
}

/** How most shell prompts end: such a prompt on the cursor's row is trusted without `ps`. */
const SHELL_PROMPT = /[$#%>\u276f\u00bb]\s?$/;

/**
 * {@link decideMode}, then a look at the terminal's processes (`ps`) where
 * tmux's word is not enough: tmux names a pipeline whose first process has
 * exited after the pane's first command (`seq 1 100 | less` shows as
 * `bash`), and a shell in its `read` builtin looks like one at its prompt.
 * So a refusal is checked against the foreground process group's own
 * names, and a shell whose cursor's row does not end like a prompt is
 * checked too: another program in the foreground decides instead, and bash
 * reading the terminal outside its line editor (a `read`) is refused as
 * waiting for input. Where `ps` can't be asked, tmux's word stands.
 */
export async function decide(
  view: PaneView,
  target: string,
  request: ModeRequest,
  watch: ForegroundWatch,
): Promise<Decided | Refusal> {
  const decided = decideMode(view, target, request);
  const doubtful = "reason" in decided
    ? !view.inMode
    : decided.mode === "shell" && request.mode === undefined && !SHELL_PROMPT.test(view.promptLine);
  if (!doubtful) return decided;
  const rows = await watch.processes();
  const fg = rows === null ? [] : foregroundGroup(rows);
  if (fg.length === 0) return decided;
  const other = fg.find((row) => !shellDialect(row.comm));
  const program = other?.comm ?? fg[0].comm;
  const again = programName(program) === programName(view.program)
    ? decided
    : decideMode({ ...view, program }, target, request);
  if ("reason" in again || again.mode !== "shell") return again;
  if (again.dialect === "bash" && fg.some(inTtyRead)) {
    return {
      program: programName(program),
      reason: `Pane ${target} runs '${programName(program)}', which waits for input ` +
        `(the cursor's row shows ${
          shown(view.promptLine.trimEnd())
        }): run types nothing there; answer it with safe-send first`,
    };
  }
  return again;
}
