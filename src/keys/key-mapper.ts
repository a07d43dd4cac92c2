// Pure, deterministic mapping from Drive names to S3 keys: `<prefix>/<folders below the migrated folder>/<name>`.
// The migrated folder's own name is not part of the key. Ordinary names — any Unicode letters, spaces, emoji,
// punctuation — are kept exactly as Drive shows them; only what S3 or a later `aws s3 sync` would misread
// is rewritten, always the same way.
import { createHash } from 'node:crypto';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** What the README says about key mapping (kept next to the code that implements it). */
export const KEY_MAPPING_RULES = [
  'S3 keys are `<prefix>/<path below the migrated folder>/<name>`; the migrated folder\'s own name is not included.',
  'Names are kept exactly as Drive shows them (Unicode, spaces, emoji, punctuation), except:',
  '- `/` inside a name becomes `∕` (U+2215 DIVISION SLASH), so it never creates a key level;',
  '- control characters U+0000–U+001F and U+007F become their visible symbols `␀`…`␟`, `␡` (U+2400 block); U+0080–U+009F become `�`;',
  '- unpaired UTF-16 surrogates become `�` (keys must be valid UTF-8);',
  '- a name that is empty becomes `_`, `.` becomes `．` and `..` becomes `．．` (U+FF0E FULLWIDTH FULL STOP), so no key has an empty, `.` or `..` level;',
  '- when two or more items in one folder map to the same name, every one of them gets ` (<fileId>)` before its extension, so the keys do not depend on listing order;',
  '- exported Google Workspace files get their format\'s extension (`Report` → `Report.docx`), unless the name already ends with it;',
  `- a key longer than ${MAX_KEY_BYTES} UTF-8 bytes is cut at a character boundary and ends with \`~<12 hex of SHA-256(fileId + full key)>\` plus the original extension.`,
].join('\n');

/** U+2215: looks like a slash, is not one. */
export const SLASH_REPLACEMENT = '\u2215';
const FULLWIDTH_DOT = '\uFF0E';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One Drive name → one key segment (no '/', never empty, '.' or '..', valid UTF-8). */
export function mapNameSegment(name: string): string {
  let out = name.replace(LONE_SURROGATE, '\uFFFD');
  out = out.replace(/\//g, SLASH_REPLACEMENT);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this replaces
  out = out.replace(/[\u0000-\u001f]/g, (c: string) => String.fromCharCode(0x2400 + c.charCodeAt(0)));
  out = out.replace(/\u007f/g, '\u2421');
  out = out.replace(/[\u0080-\u009f]/g, '\uFFFD');
  if (out === '') return '_';
  if (out === '.') return FULLWIDTH_DOT;
  if (out === '..') return FULLWIDTH_DOT + FULLWIDTH_DOT;
  return out;
}

/** Split `name.ext` → ['name', '.ext']. Dotfiles and long or spaced "extensions" have none. */
export function splitExtension(name: string): [stem: string, ext: string] {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || dot === name.length - 1) return [name, ''];
  const ext = name.slice(dot);
  if (ext.length > 11 || /\s/.test(ext)) return [name, ''];
  return [name.slice(0, dot), ext];
}

/** `report.pdf` + id → `report (id).pdf`: how clashing names are told apart. */
export function withIdSuffix(segment: string, fileId: string): string {
  const [stem, ext] = splitExtension(segment);
  return `${stem} (${mapNameSegment(fileId)})${ext}`;
}

/** An exported Workspace file's name: `Report` + 'docx' → `Report.docx` (unchanged if it already ends so). */
export function exportedName(name: string, extension: string): string {
  const suffix = `.${extension}`;
  return name.toLowerCase().endsWith(suffix.toLowerCase()) ? name : name + suffix;
}

/** Normalise a user prefix: no leading or trailing '/', empty allowed. */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The longest leading part of `text` that fits in `maxBytes` UTF-8 bytes, cut at a code point boundary. */
function cutUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return text.slice(0, end);
}

/**
 * Build a key from a prefix, the mapped folder segments below the migrated folder and the item's mapped
 * name. Too-long keys are truncated deterministically, keeping the extension.
 */
export function buildKey(prefix: string, dirSegments: readonly string[], fileSegment: string, fileId: string): string {
  const p = normalizePrefix(prefix);
  const key = [...(p === '' ? [] : [p]), ...dirSegments, fileSegment].join('/');
  if (utf8Length(key) <= MAX_KEY_BYTES) return key;
  const [, ext] = splitExtension(fileSegment);
  const hash = createHash('sha256').update(`${fileId}\u0000${key}`).digest('hex').slice(0, 12);
  const tail = `~${hash}${utf8Length(ext) <= 64 ? ext : ''}`;
  return cutUtf8(key, MAX_KEY_BYTES - utf8Length(tail)) + tail;
}

/** The key of a folder-relative path joined for display/metadata (not a key). */
export function joinPath(parent: string, name: string): string {
  return parent === '' ? name : `${parent}/${name}`;
}

/**
 * Key segments for a group of sibling items whose mapped names may clash. Input: items with their mapped
 * segment. Output, in input order: the final segment for each. Items whose segment occurs more than once
 * in the group all get the id suffix — a rule that does not depend on the order Drive listed them in.
 */
export function resolveClashes(items: readonly { id: string; segment: string }[]): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.segment, (counts.get(item.segment) ?? 0) + 1);
  return items.map((item) => ((counts.get(item.segment) ?? 0) > 1 ? withIdSuffix(item.segment, item.id) : item.segment));
}

/**
 * The grouping key under which Drive's `orderBy=name` keeps possible clashes next to each other: Drive sorts
 * names case-insensitively (and may ignore accents), so exact duplicates can be interleaved with names that
 * differ only in case or accents. The lister buffers one group at a time and resolves clashes within it.
 */
export function clashGroup(name: string): string {
  return mapNameSegment(name).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}
