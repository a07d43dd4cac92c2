// The keys under a prefix as one range of the key column: [prefix, successor). SQLite compares TEXT by its
// UTF-8 bytes, which is code point order, so the successor is computed on code points, not UTF-16 units.

/** The bounds of the keys that start with a prefix; `below` null: no upper bound (every key from `from` on). */
export interface KeyRange {
  from: string;
  below: string | null;
}

const LAST_CODE_POINT = 0x10ffff;
const SURROGATES = { first: 0xd800, last: 0xdfff };
// SQLite is given a lone surrogate as U+FFFD (better-sqlite3 converts strings to UTF-8 the way V8 does).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The first string after every string that starts with `prefix`, in code point order: its last code point
 * below U+10FFFF plus one (past the surrogates, which UTF-8 cannot hold), with what follows dropped; null
 * when there is none (an empty prefix, or one of U+10FFFF only).
 */
export function prefixSuccessor(prefix: string): string | null {
  // Code points, not graphemes: the order SQLite compares in.
  const points = Array.from(prefix.replace(LONE_SURROGATE, '\uFFFD'), (c) => c.codePointAt(0) ?? 0);
  while (points.at(-1) === LAST_CODE_POINT) points.pop();
  const last = points.pop();
  if (last === undefined) return null;
  const next = last + 1 === SURROGATES.first ? SURROGATES.last + 1 : last + 1;
  return String.fromCodePoint(...points, next);
}

export function keyRangeOf(prefix: string): KeyRange {
  return { from: prefix, below: prefixSuccessor(prefix) };
}
