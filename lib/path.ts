/**
 * POSIX path helpers: `join`, `dirname`, `basename`, `resolve`, with the
 * results of `node:path` for the paths this toolkit builds (tests/path_test.ts
 * compares them). Written here because importing any `node:` module costs a
 * tool about 5 ms of start-up in Deno 2.9, a sixth of its time budget
 * (measured in bench/README.md).
 *
 * @module
 */

/** Normalizes `.`, `..` and repeated slashes, as `node:path` `normalize` does. */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = path.startsWith("/");
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length > 0 && parts.at(-1) !== "..") parts.pop();
      else if (!absolute) parts.push("..");
    } else {
      parts.push(part);
    }
  }
  const body = parts.join("/");
  const trailing = path.endsWith("/") && body !== "" ? "/" : "";
  if (absolute) return `/${body}${trailing}`;
  return body === "" ? "." : body + trailing;
}

/** Joins path segments and normalizes the result. */
export function join(...parts: string[]): string {
  const joined = parts.filter((part) => part !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The directory part of a path (`"."` when it has none). */
export function dirname(path: string): string {
  if (path === "") return ".";
  const trimmed = path.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  const slash = trimmed.lastIndexOf("/");
  if (slash === -1) return ".";
  const dir = trimmed.slice(0, slash);
  return dir === "" ? "/" : dir;
}

/** The last segment of a path. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** An absolute, normalized path: segments resolved right to left, then against the cwd. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!path.startsWith("/")) path = `${Deno.cwd()}/${path}`;
  const normalized = normalize(path);
  return normalized.length > 1 ? normalized.replace(/\/$/, "") : normalized;
}
