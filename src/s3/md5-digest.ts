// An MD5 PartDigest (hash-wasm) whose state survives a restart: the state after the last checkpointed part
// travels in the checkpoint (base64), so a resumed upload still ends with the whole object's md5 to compare
// against Drive's md5Checksum before CompleteMultipartUpload.
import { createMD5 } from 'hash-wasm';
import type { PartDigest } from './part-reader.js';

export interface Md5Digest extends PartDigest {
  /** Lower-case hex md5 of everything fed so far (including the bytes before a resumed state). */
  hex(): string;
}

export async function createMd5Digest(state: string | null = null): Promise<Md5Digest> {
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
