// The digest fed every byte of an object as it streams by, compared with Drive's checksum before the object
// is created. Which checksum: SHA-1 when Drive reports sha1Checksum (files with binary content; some old ones
// lack it), else MD5 (md5Checksum, and the exports, which have no Drive checksum at all but whose md5 the
// journal keeps for `verify --deep`). SHA-1 because it is the cheapest of Drive's checksums to compute here:
// CPU seconds per GiB in 64 KiB updates on the bench machine, node:crypto — sha1 0.56, sha256 0.60,
// md5 1.44 — and hashing was the largest CPU cost of a copy child. This detects corruption in transit; it is
// not a defence against forged collisions, which no copy needs.
//
// Always node:crypto (OpenSSL, SHA-NI where the CPU has it). Its state cannot be exported, only copied inside
// the process (fork), so a digest does not travel in checkpoints: a retry in the same child continues from a
// fork taken at the checkpointed part boundary, and a resume in another process (the child was killed, the
// pod restarted) hashes the bytes already in S3 again from Drive (copy/prefix-hash.ts). A hasher with a
// savable state (hash-wasm, WebAssembly) was tried and measured: 1.40 CPU s/GiB for SHA-1 and 1.84 for MD5,
// about 30% of a copy child's CPU on big files, paid on every byte to spare a re-read only after a crash.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import type { PartDigest } from './part-reader.js';

export type DigestAlgorithm = 'sha1' | 'md5';

/** What a copy verifies: the algorithm to hash with and the hex digest Drive reports (null: none to compare). */
export interface ChecksumToVerify {
  algorithm: DigestAlgorithm;
  expected: string | null;
}

/**
 * SHA-1 when Drive reports one (the cheaper hash, above), else MD5: Drive's, or none at all (an export),
 * when the copy still hashes MD5 for the journal (`verify --deep`).
 */
export function checksumToVerify(drive: { sha1: string | null; md5: string | null }): ChecksumToVerify {
  if (drive.sha1 !== null) return { algorithm: 'sha1', expected: drive.sha1.toLowerCase() };
  return { algorithm: 'md5', expected: drive.md5?.toLowerCase() ?? null };
}

export class ContentDigest implements PartDigest {
  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly hash: Hash,
    /** Bytes fed so far. */
    public bytes: number,
  ) {}

  static create(algorithm: DigestAlgorithm): ContentDigest {
    return new ContentDigest(algorithm, createHash(algorithm), 0);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
    this.bytes += data.length;
  }

  /** Lower-case hex digest of everything fed so far; the digest stays usable (a copy is finalised). */
  hex(): string {
    return this.hash.copy().digest('hex');
  }

  /** An independent digest with the same state: where a later attempt in this process can continue from. */
  fork(): ContentDigest {
    return new ContentDigest(this.algorithm, this.hash.copy(), this.bytes);
  }
}
