/**
 * A pane's byte stream rendered into lines as a terminal shows them, for
 * line-oriented output: `\r` returns to the start of the line (so a progress
 * bar ends as its last state), `\b` steps back, `\n` ends the line, a tab
 * stays a tab (it covers the cells up to the next tab stop, as on screen),
 * wide characters (CJK, emoji) cover two cells, erase-in-line and cursor
 * moves along the line are followed, and every other escape sequence
 * (colours, titles, modes, cursor moves to other rows) is dropped. OSC
 * sequences are reported to a callback, which is how a run's invisible
 * markers are found.
 *
 * What it does not do is keep a screen: output that moves the cursor to
 * other rows (full-screen programs) is not reproduced row for row.
 *
 * @module
 */

/** Where an OSC sequence was met: its text and the number of lines completed before it. */
export interface OscEvent {
  /** The sequence's text between `ESC ]` and its terminator (`BEL` or `ESC \`). */
  text: string;
  /** How many lines were complete when it was met. */
  line: number;
  /** The text of the line in progress then (before the sequence). */
  partial: string;
}

/** Parser states. */
const enum State {
  Text,
  Escape,
  Csi,
  Osc,
  OscEscape,
  /** An escape sequence whose final byte is all that is left to skip. */
  EscapeFinal,
}

/** Lines per compact block of completed lines. */
const BLOCK_LINES = 4096;

/** Lines `lo` to `hi` (exclusive) of a block of `\n`-joined lines. */
function linesOf(block: string, lo: number, hi: number): string {
  if (lo === 0 && hi === BLOCK_LINES) return block;
  let start = 0;
  for (let i = 0; i < lo; i++) start = block.indexOf("\n", start) + 1;
  let last = start; // the start of line hi - 1
  for (let i = lo; i < hi - 1; i++) last = block.indexOf("\n", last) + 1;
  const end = block.indexOf("\n", last);
  return block.slice(start, end === -1 ? block.length : end);
}

/** The cell a wide character's second half occupies, and a tab's skipped cells. */
const COVERED = "";

/**
 * Renders a byte stream into lines, incrementally: {@link TerminalLines.write}
 * takes chunks as they come (UTF-8 split anywhere is fine).
 */
export class TerminalLines {
  /**
   * Completed lines, kept compact: blocks of {@link BLOCK_LINES} lines joined
   * by `\n` (a million short lines as a million strings would cost several
   * times their bytes), then the lines of the block being filled.
   */
  readonly #blocks: string[] = [];
  #filling: string[] = [];
  /** The line in progress while it is plain narrow text written left to right (fast path). */
  #plain = "";
  /** The line in progress as cells, once anything else happened to it (`null` until then). */
  #cells: string[] | null = null;
  #col = 0;
  #state = State.Text;
  #seq = "";
  /**
   * On the alternate screen (a full-screen program: less, vim, top): what
   * it draws there is a screen, not lines of output, and is left out; the
   * line in progress is as it was when the program switched over.
   */
  #alternate = false;
  readonly #decoder = new TextDecoder();
  readonly #onOsc?: (event: OscEvent) => void;

  /**
   * A renderer; `onOsc` is called for every OSC sequence, in stream order.
   * `alternate`: the stream starts while the alternate screen is on (a tap
   * opened under a full-screen program).
   */
  constructor(onOsc?: (event: OscEvent) => void, options: { alternate?: boolean } = {}) {
    this.#onOsc = onOsc;
    this.#alternate = options.alternate ?? false;
  }

  /** Renders the next chunk of the stream. */
  write(chunk: Uint8Array): void {
    this.#text(this.#decoder.decode(chunk, { stream: true }));
  }

  /** Renders the next part of the stream, already decoded. */
  writeText(text: string): void {
    this.#text(text);
  }

  /** Whether the stream is on the alternate screen now (what is drawn there is left out). */
  get alternate(): boolean {
    return this.#alternate;
  }

  /** The line in progress (text after the last line break). */
  get partial(): string {
    return this.#cells === null ? this.#plain : this.#cells.join("");
  }

  /** How many lines are complete. */
  get lineCount(): number {
    return this.#blocks.length * BLOCK_LINES + this.#filling.length;
  }

  /** Completed lines `from` (inclusive) to `to` (exclusive), joined by `\n`. */
  text(from: number, to: number): string {
    to = Math.min(to, this.lineCount);
    if (from >= to) return "";
    const parts: string[] = [];
    for (let b = Math.floor(from / BLOCK_LINES); b * BLOCK_LINES < to; b++) {
      const first = b * BLOCK_LINES;
      const lo = Math.max(from, first) - first;
      const hi = Math.min(to, first + BLOCK_LINES) - first;
      if (b < this.#blocks.length) parts.push(linesOf(this.#blocks[b], lo, hi));
      else parts.push(this.#filling.slice(lo, hi).join("\n"));
    }
    return parts.join("\n");
  }

  /** Completed lines `from` to `to` as an array. */
  lines(from = 0, to: number = this.lineCount): string[] {
    return from >= Math.min(to, this.lineCount) ? [] : this.text(from, to).split("\n");
  }

  /** Completed lines plus the line in progress when it is not empty. */
  all(): string[] {
    const partial = this.partial;
    const lines = this.lines();
    if (partial !== "") lines.push(partial);
    return lines;
  }

  #text(text: string): void {
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (this.#state === State.Text) {
        // Fast path: a run of printable text up to the next control character.
        let j = i;
        while (j < n) {
          const c = text.charCodeAt(j);
          if (c < 0x20 || c === 0x7f) break;
          j++;
        }
        if (j > i) {
          if (!this.#alternate) this.#put(text.slice(i, j));
          i = j;
          continue;
        }
        if (!this.#alternate || text[i] === "\x1b") this.#control(text[i]);
        i++;
        continue;
      }
      this.#escape(text[i]);
      i++;
    }
  }

  #control(c: string): void {
    switch (c) {
      case "\n":
        this.#filling.push(this.partial);
        if (this.#filling.length === BLOCK_LINES) {
          this.#blocks.push(this.#filling.join("\n"));
          this.#filling = [];
        }
        this.#plain = "";
        this.#cells = null;
        this.#col = 0;
        return;
      case "\r":
        this.#col = 0;
        return;
      case "\b":
        if (this.#col > 0) this.#col--;
        return;
      case "\t": {
        const stop = (Math.floor(this.#col / 8) + 1) * 8;
        const cells = this.#toCells();
        this.#set(cells, this.#col, "\t");
        for (let col = this.#col + 1; col < stop; col++) this.#set(cells, col, COVERED);
        this.#col = stop;
        return;
      }
      case "\x1b":
        this.#state = State.Escape;
        this.#seq = "";
        return;
      default:
        return; // BEL and other controls show nothing
    }
  }

  #escape(c: string): void {
    switch (this.#state) {
      case State.Escape:
        if (c === "[") this.#state = State.Csi;
        else if (c === "]") this.#state = State.Osc;
        else if (c === "(" || c === ")" || c === "*" || c === "+" || c === "#" || c === "%") {
          this.#state = State.EscapeFinal;
        } else this.#state = State.Text;
        return;
      case State.EscapeFinal:
        this.#state = State.Text;
        return;
      case State.Csi: {
        const code = c.charCodeAt(0);
        if (code >= 0x40 && code <= 0x7e) {
          this.#csi(this.#seq, c);
          this.#state = State.Text;
        } else this.#seq += c;
        return;
      }
      case State.Osc:
        if (c === "\x07") this.#osc();
        else if (c === "\x1b") this.#state = State.OscEscape;
        else this.#seq += c;
        return;
      case State.OscEscape:
        if (c === "\\") this.#osc();
        else {
          this.#seq += `\x1b${c}`;
          this.#state = State.Osc;
        }
        return;
    }
  }

  #osc(): void {
    this.#state = State.Text;
    this.#onOsc?.({ text: this.#seq, line: this.lineCount, partial: this.partial });
  }

  #csi(params: string, final: string): void {
    if ((final === "h" || final === "l") && ALTERNATE_SCREEN.test(params)) {
      this.#alternate = final === "h";
      return;
    }
    if (this.#alternate) return;
    const n = Math.max(1, Number.parseInt(params, 10) || 1);
    switch (final) {
      case "K": {
        const mode = Number.parseInt(params, 10) || 0;
        const cells = this.#toCells();
        if (mode === 0) cells.length = Math.min(cells.length, this.#col);
        else if (mode === 1) {
          for (let col = 0; col <= this.#col; col++) {
            this.#set(cells, col, " ");
          }
        } else cells.length = 0;
        return;
      }
      case "C":
        this.#col += n;
        return;
      case "D":
        this.#col = Math.max(0, this.#col - n);
        return;
      case "G":
        this.#col = n - 1;
        return;
      default:
        return; // colours, modes, other rows: not part of the line's text
    }
  }

  /** Writes printable text at the cursor, overwriting what is there. */
  #put(text: string): void {
    if (this.#cells === null && this.#col === this.#plain.length && isNarrowAscii(text)) {
      // Plain text appended at the end of a plain line: the common case.
      this.#plain += text;
      this.#col += text.length;
      return;
    }
    const cells = this.#toCells();
    for (const ch of text) {
      const width = charWidth(ch.codePointAt(0)!);
      if (width === 0) {
        // A combining mark joins the character before it.
        const at = this.#col - 1;
        if (at >= 0 && cells[at] !== undefined) cells[at] += ch;
        continue;
      }
      this.#set(cells, this.#col, ch);
      if (width === 2) this.#set(cells, this.#col + 1, COVERED);
      this.#col += width;
    }
  }

  /** The line in progress as cells (leaving the fast path for this line). */
  #toCells(): string[] {
    if (this.#cells === null) {
      this.#cells = Array.from(this.#plain);
      this.#plain = "";
    }
    return this.#cells;
  }

  #set(cells: string[], col: number, cell: string): void {
    // Overwriting half of a wide character clears the other half.
    const old = cells[col];
    if (old !== undefined && old !== COVERED && col + 1 < cells.length) {
      if (cells[col + 1] === COVERED && cell !== COVERED) cells[col + 1] = " ";
    }
    if (old === COVERED && col > 0 && cells[col - 1] !== "\t" && cell !== COVERED) {
      const left = cells[col - 1];
      if (left !== undefined && left !== COVERED && charWidth(left.codePointAt(0)!) === 2) {
        cells[col - 1] = " ";
      }
    }
    while (cells.length < col) cells.push(" ");
    cells[col] = cell;
  }
}

/** The private modes that switch to and from the alternate screen (`?1049`, `?1047`, `?47`). */
const ALTERNATE_SCREEN = /^\?(1049|1047|47)$/;

function isNarrowAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7e) return false;
  return true;
}

/** Columns a character covers: 0 for combining marks, 2 for wide (East Asian, emoji), else 1. */
export function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (
    (cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f ||
    (cp >= 0x20d0 && cp <= 0x20ff) || (cp >= 0xfe20 && cp <= 0xfe2f)
  ) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}
