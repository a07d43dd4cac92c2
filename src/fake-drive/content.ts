// Deterministic, seekable file content: the one generator behind the fake Drive, the tests' own bodies and
// objects (test/s3-fixtures.ts, test/direct-media*.ts) and the benchmark's sources. A GB-sized file must cost
// neither disk nor memory, so byte i is a pure function of (seed, i): a fixed 64 KiB pseudo-random pattern
// XORed, per 64 KiB block, with two 32-bit words derived from (seed, block). Any range is generated on demand,
// block by block, so a Range request at offset 3 GiB is as cheap as one at 0, and every block of every file
// differs.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

export const BLOCK_SIZE = 64 * 1024;
const WORDS = BLOCK_SIZE / 4;

function mix32(x: number): number {
  // murmur3 finaliser: cheap and well-spread.
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const PATTERN: Uint32Array = (() => {
  const words = new Uint32Array(WORDS);
  let state = 0x9e3779b9;
  for (let i = 0; i < WORDS; i++) {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  return words;
})();

/** A 32-bit seed from any string (file id, export MIME type...). */
export function seedFromString(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  return digest.readUInt32LE(0);
}

/** One whole 64 KiB block of the content for `seed`. */
function block(seed: number, index: number): Buffer {
  const a = mix32(seed ^ mix32(index * 2 + 1));
  const b = mix32(mix32(seed + 0x6a09e667) ^ mix32(index * 2 + 2));
  const words = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i += 2) {
    words[i] = (PATTERN[i] ?? 0) ^ a;
    words[i + 1] = (PATTERN[i + 1] ?? 0) ^ b;
  }
  return Buffer.from(words.buffer, words.byteOffset, words.byteLength);
}

/** Bytes [start, end) of the content for `seed`. Meant for modest lengths (tests compare ranges with it). */
export function contentRange(seed: number, start: number, end: number): Buffer {
  if (end <= start) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let pos = start;
  while (pos < end) {
    const index = Math.floor(pos / BLOCK_SIZE);
    const blockStart = index * BLOCK_SIZE;
    const from = pos - blockStart;
    const to = Math.min(BLOCK_SIZE, end - blockStart);
    parts.push(block(seed, index).subarray(from, to));
    pos = blockStart + to;
  }
  return parts.length === 1 ? (parts[0] ?? Buffer.alloc(0)) : Buffer.concat(parts);
}

/** A stream of bytes [start, end) generated lazily one block at a time (backpressure respected). */
export function contentStream(seed: number, start: number, end: number): Readable {
  let pos = start;
  return new Readable({
    highWaterMark: BLOCK_SIZE,
    read() {
      if (pos >= end) {
        this.push(null);
        return;
      }
      const next = Math.min(end, (Math.floor(pos / BLOCK_SIZE) + 1) * BLOCK_SIZE);
      const chunk = contentRange(seed, pos, next);
      pos = next;
      this.push(chunk);
    },
  });
}

/** The checksums Drive reports for binary content (hex), the ones the copy verifies against. */
export interface ContentHashes {
  md5: string;
  sha1: string;
}

/** Both checksums of some bytes at once. */
export function hashesOf(bytes: Uint8Array): ContentHashes {
  return { md5: createHash('md5').update(bytes).digest('hex'), sha1: createHash('sha1').update(bytes).digest('hex') };
}

/**
 * The MD5 and SHA-1 (hex) of the whole generated content, computed in one streaming pass (CPU only, bounded
 * memory). Yields to the event loop every 16 MiB so that a GB-sized file does not stall the server's other
 * requests.
 */
export async function contentHashes(seed: number, size: number): Promise<ContentHashes> {
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  let sinceYield = 0;
  for (let pos = 0; pos < size; pos += BLOCK_SIZE) {
    const block = contentRange(seed, pos, Math.min(size, pos + BLOCK_SIZE));
    md5.update(block);
    sha1.update(block);
    sinceYield += BLOCK_SIZE;
    if (sinceYield >= 16 * 1024 * 1024) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return { md5: md5.digest('hex'), sha1: sha1.digest('hex') };
}

/** The MD5 (hex) of the whole generated content. */
export async function contentMd5(seed: number, size: number): Promise<string> {
  return (await contentHashes(seed, size)).md5;
}
