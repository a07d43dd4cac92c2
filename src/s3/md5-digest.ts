// MD5 digests fed every byte of an object as it streams by, to compare with Drive's md5Checksum before the
// object is created. Two kinds, chosen per item:
// - createMd5Digest (hash-wasm): its state survives a restart. The state after the last checkpointed part
//   travels in the checkpoint (base64), so a resumed upload still ends with the whole object's md5.
// - createStreamMd5Digest (node:crypto, OpenSSL): about a third faster (≈720 vs ≈540 MiB/s on the bench
//   machine, where MD5 was the largest CPU cost of a copy child), but node's Hash cannot export its state,
//   so it serves the items that never resume (below --resume-min-mb, exports).
import { createHash } from 'node:crypto';
import { createMD5 } from 'hash-wasm';
import type { PartDigest } from './part-reader.js';

export interface Md5Digest extends PartDigest {
  /** Lower-case hex md5 of everything fed so far (including the bytes before a resumed state). */
  hex(): string;
}

/** A digest whose state can be saved at part boundaries and restored from `state` (a checkpoint's). */
export async function createMd5Digest(state: string | null = null): Promise<Md5Digest & { save(): string }> {
  const hasher = await createMD5();
  hasher.init();
  if (state !== null) hasher.load(Buffer.from(state, 'base64'));
  return {
    update: (data) => {
      hasher.update(data);
    },
    save: () => Buffer.from(hasher.save()).toString('base64'),
    hex: () => {
      // digest() finalises the hasher; keep it usable by digesting a copy of the state.
      const saved = hasher.save();
      const hex = hasher.digest('hex');
      hasher.load(saved);
      return hex;
    },
  };
}

/** A faster digest without saved state: for uploads that are never resumed. */
export function createStreamMd5Digest(): Md5Digest {
  const hash = createHash('md5');
  return {
    update: (data) => {
      hash.update(data);
    },
    // copy(): digest() finalises a Hash, and hex() may be asked for again (before and after completion).
    hex: () => hash.copy().digest('hex'),
  };
}
