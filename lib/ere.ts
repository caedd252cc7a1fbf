/**
 * POSIX extended regular expressions, as GNU `grep -E` reads them,
 * translated to JavaScript regular expressions (for the `u` flag).
 *
 * @module
 */

/** `[[:space:]]` as glibc has it in UTF-8 locales (JS `\s` adds the no-break spaces and U+FEFF). */
const SPACE = "\\t\\n\\v\\f\\r \\u1680\\u2000-\\u2006\\u2008-\\u200a\\u2028\\u2029\\u205f\\u3000";
/** A word character for GNU's `\w`, `\b`, `\<` and `\>`: `[_[:alnum:]]`. */
const WORD = "[\\p{Alphabetic}\\p{Nd}_]";

/**
 * Bracket classes, close to glibc's in UTF-8 locales (exact for ASCII and
 * Latin-1, and for space, blank, digit, xdigit and cntrl everywhere; glibc's
 * Unicode tables are older than the engine's and file marks and other
 * numbers differently).
 */
const CLASSES: Record<string, string> = {
  alpha: "\\p{Alphabetic}",
  digit: "0-9",
  alnum: "\\p{Alphabetic}\\p{Nd}",
  upper: "\\p{Uppercase}\\p{Lt}",
  lower: "\\p{Lowercase}\\p{Lt}",
  space: SPACE,
  blank: "\\t \\u1680\\u2000-\\u2006\\u2008-\\u200a\\u205f\\u3000",
  punct: "\\p{P}\\p{S}",
  print: "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}",
  graph: "\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}",
  cntrl: "\\p{Cc}\\u2028\\u2029",
  xdigit: "0-9A-Fa-f",
};

/**
 * GNU's backslash escapes in an extended regex, as JS sources. Any other
 * escaped character means itself: `\d` is `d` and `\t` is `t` (not a digit
 * class and a tab as in JS), `\.` is a dot.
 */
const ESCAPES: Record<string, { source: string; atom: boolean }> = {
  w: { source: WORD, atom: true },
  W: { source: `[^${WORD.slice(1, -1)}]`, atom: true },
  s: { source: `[${SPACE}]`, atom: true },
  S: { source: `[^${SPACE}]`, atom: true },
  b: { source: `(?:(?<=${WORD})(?!${WORD})|(?<!${WORD})(?=${WORD}))`, atom: false },
  B: { source: `(?:(?<=${WORD})(?=${WORD})|(?<!${WORD})(?!${WORD}))`, atom: false },
  "<": { source: `(?<!${WORD})(?=${WORD})`, atom: false },
  ">": { source: `(?<=${WORD})(?!${WORD})`, atom: false },
  "`": { source: "^", atom: false },
  "'": { source: "$", atom: false },
};

/** A character as a JS regex literal that means itself in and out of brackets. */
function literal(char: string): string {
  return /^[A-Za-z0-9 ]$/.test(char) ? char : `\\u{${char.codePointAt(0)!.toString(16)}}`;
}

/**
 * Translates a POSIX extended regular expression (as `grep -E` reads it) to
 * the source of an equivalent JS regex for the `u` flag: bracket expressions
 * with classes like `[[:digit:]]` (backslash is literal inside brackets),
 * intervals `{n,m}` (a `{` that starts no interval is literal), quantifiers
 * at the start of an expression as literals, an unmatched `)` as a literal,
 * GNU's `\w`, `\W`, `\s`, `\S`, `\b`, `\B`, `\<`, `\>` and back-references;
 * any other escaped character is itself (`\d` is `d`, `\t` is `t`), as in
 * `grep -E`. Word characters are letters, digits and `_` in any script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ereToJs } from "./ere.ts";
 * assert.ok(new RegExp(ereToJs("^[[:digit:]]+ files?$"), "u").test("12 files"));
 * assert.ok(new RegExp(ereToJs("\\d"), "u").test("d")); // as in grep -E: `\d` is `d`
 * ```
 * @throws {SyntaxError} an unterminated bracket, a bad class name, a bad range, a trailing `\`.
 */
export function ereToJs(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  const groups: number[] = [];
  let atomStart = -1; // index in `out` where the last atom begins; -1: no atom to repeat
  let lastWasQuantifier = false;
  const quantify = (token: string) => {
    if (atomStart === -1) {
      // GNU reads a quantifier with nothing to repeat as a literal.
      for (const c of token) out.push(literal(c));
      atomStart = out.length - 1;
      lastWasQuantifier = false;
      return;
    }
    if (lastWasQuantifier) {
      // `a**`, `a+*`: repeat the repeated atom (JS rejects a bare double quantifier).
      out.splice(atomStart, 0, "(?:");
      out.push(")");
    }
    out.push(token);
    lastWasQuantifier = true;
  };
  const atom = (source: string) => {
    atomStart = out.length;
    out.push(source);
    lastWasQuantifier = false;
  };
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    switch (c) {
      case "\\": {
        const next = chars[++i];
        if (next === undefined) throw new SyntaxError("Trailing backslash");
        const escape = Object.hasOwn(ESCAPES, next) ? ESCAPES[next] : undefined;
        if (/^[1-9]$/.test(next)) atom(`\\${next}`);
        else if (escape?.atom) atom(escape.source);
        else if (escape) {
          // An anchor: nothing to repeat after it.
          out.push(escape.source);
          atomStart = -1;
          lastWasQuantifier = false;
        } else atom(literal(next));
        break;
      }
      case "[": {
        const [source, end] = bracket(chars, i);
        atom(source);
        i = end;
        break;
      }
      case "(":
        groups.push(out.length);
        out.push("(");
        atomStart = -1;
        lastWasQuantifier = false;
        break;
      case ")":
        if (groups.length === 0) {
          atom(literal(")")); // POSIX: `)` is special only after a `(`
        } else {
          out.push(")");
          atomStart = groups.pop()!;
          lastWasQuantifier = false;
        }
        break;
      case "|":
      case "^":
      case "$":
        out.push(c);
        atomStart = -1;
        lastWasQuantifier = false;
        break;
      case "*":
      case "+":
      case "?":
        quantify(c);
        break;
      case "{": {
        const rest = chars.slice(i).join("");
        const interval = /^\{(\d*)(,(\d*))?\}/.exec(rest);
        if (interval && atomStart !== -1 && (interval[1] !== "" || interval[3])) {
          const min = interval[1] === "" ? "0" : interval[1];
          quantify(`{${min}${interval[2] === undefined ? "" : `,${interval[3]}`}}`);
          i += Array.from(interval[0]).length - 1;
        } else {
          atom(literal("{"));
        }
        break;
      }
      case ".":
        atom("[^\\n]"); // any character: JS's `.` leaves out \r, U+2028 and U+2029
        break;
      default:
        atom(literal(c));
    }
  }
  return out.join("");
}

/** Parses the bracket expression at `chars[start]` (`[`); returns its JS source and end index. */
function bracket(chars: string[], start: number): [string, number] {
  let i = start + 1;
  let negate = false;
  if (chars[i] === "^") {
    negate = true;
    i++;
  }
  const items: string[] = [];
  let first = true;
  // One bracket element: a literal character (or collating symbol) or a class.
  const element = (): { char?: string; source: string } => {
    const c = chars[i];
    if (c === "[" && (chars[i + 1] === ":" || chars[i + 1] === "=" || chars[i + 1] === ".")) {
      const kind = chars[i + 1];
      let j = i + 2;
      while (j + 1 < chars.length && !(chars[j] === kind && chars[j + 1] === "]")) j++;
      if (j + 1 >= chars.length) throw new SyntaxError("Unmatched [, [^, [:, [., or [=");
      const name = chars.slice(i + 2, j).join("");
      i = j + 2;
      if (kind === ":") {
        const cls = CLASSES[name];
        if (cls === undefined) throw new SyntaxError(`Invalid character class name: ${name}`);
        return { source: cls };
      }
      if (Array.from(name).length !== 1) {
        throw new SyntaxError(`Invalid collation character: ${name}`);
      }
      return { char: name, source: literal(name) };
    }
    i++;
    return { char: c, source: literal(c) };
  };
  for (;;) {
    if (i >= chars.length) throw new SyntaxError("Unmatched [, [^, [:, [., or [=");
    if (chars[i] === "]" && !first) break;
    first = false;
    const from = element();
    if (
      from.char !== undefined && chars[i] === "-" && i + 1 < chars.length && chars[i + 1] !== "]"
    ) {
      i++;
      const to = element();
      if (to.char === undefined) throw new SyntaxError("Invalid range end");
      if (from.char.codePointAt(0)! > to.char.codePointAt(0)!) {
        throw new SyntaxError("Invalid range end");
      }
      items.push(`${from.source}-${to.source}`);
    } else {
      items.push(from.source);
    }
  }
  return [`[${negate ? "^" : ""}${items.join("")}]`, i];
}
