/**
 * tmux key names, checked before anything is sent: `send-keys` types an
 * argument it does not know as a key as text, so a misspelt `Spcae` would
 * arrive as five letters. {@link parseKeys} accepts what tmux's key table
 * knows (named keys, `C-`/`M-`/`S-` modifiers, `^X`, a single character)
 * and refuses the rest.
 *
 * @module
 */
import { UsageError } from "./errors.ts";

/** tmux's named keys (`key-string.c`), matched without regard to case as tmux does. */
const NAMED_KEYS: readonly string[] = [
  "Enter",
  "Escape",
  "Space",
  "Tab",
  "BTab",
  "BSpace",
  "Up",
  "Down",
  "Left",
  "Right",
  "Home",
  "End",
  "PageUp",
  "PgUp",
  "PPage",
  "PageDown",
  "PgDn",
  "NPage",
  "IC",
  "Insert",
  "DC",
  "Delete",
  ...Array.from({ length: 12 }, (_, i) => `F${i + 1}`),
  ...["/", "*", "-", "+", ".", "Enter", ...Array.from({ length: 10 }, (_, i) => String(i))]
    .map((key) => `KP${key}`),
];

const NAMED = new Set(NAMED_KEYS.map((key) => key.toLowerCase()));

/**
 * Whether tmux knows `key` as one key: a named key (any case), a single
 * character, `^X` (Ctrl-X), or either of those after `C-`, `M-` and `S-`
 * modifiers (`C-c`, `M-x`, `C-M-Left`, `S-F5`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKeyName } from "./keys.ts";
 * assert.ok(isKeyName("C-c") && isKeyName("pageup") && isKeyName("q") && isKeyName("M-<"));
 * assert.ok(!isKeyName("Spcae") && !isKeyName("ls") && !isKeyName("C-"));
 * ```
 */
export function isKeyName(key: string): boolean {
  let rest = key;
  while (/^[CMS]-./is.test(rest)) rest = rest.slice(2);
  if (/^\^.$/su.test(rest)) return true;
  return [...rest].length === 1 || NAMED.has(rest.toLowerCase());
}

/**
 * The key names in `text`, separated by blanks (`"Space q"`, `"C-c"`,
 * `"Escape : w q Enter"`), each checked with {@link isKeyName}.
 *
 * @throws {UsageError} no key at all, or a name tmux would type as text.
 */
export function parseKeys(text: string): string[] {
  const keys = text.split(/\s+/).filter((key) => key !== "");
  if (keys.length === 0) throw new UsageError("keys are required (tmux key names such as Space)");
  const unknown = keys.find((key) => !isKeyName(key));
  if (unknown !== undefined) {
    throw new UsageError(
      `Unknown key name '${unknown}': use tmux key names (Enter, Escape, Space, Tab, BSpace, ` +
        "Up, PageDown, F1, ...), C-/M-/S- before a key (C-c, M-x), or one character",
    );
  }
  return keys;
}
