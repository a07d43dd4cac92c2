// The digest fed every byte of an object as it streams by, compared with Drive's checksum before the object
// is created. Which checksum: SHA-1 when Drive reports sha1Checksum (files with binary content; some old ones
// lack it), else MD5 (md5Checksum, and the exports, which have no Drive checksum at all but whose md5 the
// journal keeps for `verify --deep`). SHA-1 because it is the cheapest of Drive's checksums to compute, and
// hashing is the largest CPU cost of a copy child (docs/design.md#what-it-does). This detects corruption in
// transit; it is not a defence against forged collisions, which no copy needs.
//
// node:crypto (OpenSSL, SHA-NI where the CPU has it) for files that cannot resume: its state cannot leave
// the process, only be copied inside it (fork). Resumable files (multipart, --resume-min-bytes) hash with
// hash-wasm instead, whose state saves into the checkpoint, so a resume in another process (the child was
// killed, the pod restarted) continues the digest instead of reading the uploaded prefix again from Drive;
// copy/prefix-hash.ts remains for checkpoints without a saved state. Its CPU cost:
// docs/benchmark.md#resumable-hashing-hash-wasm-against-nodecrypto.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createMD5, createSHA1 } from 'hash-wasm';
import type { IHasher } from 'hash-wasm';
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

/** A digest state saved with a checkpoint: the hash of the first `bytes` bytes, to continue from. */
export interface SavedDigest {
  algorithm: DigestAlgorithm;
  bytes: number;
  /** hash-wasm's save(), base64. */
  state: string;
}

/** `json.digest` when it is a well-formed SavedDigest, else null (an old checkpoint has none). */
export function parseSavedDigest(json: unknown): SavedDigest | null {
  if (typeof json !== 'object' || json === null) return null;
  const { algorithm, bytes, state } = json as Record<string, unknown>;
  if ((algorithm !== 'sha1' && algorithm !== 'md5') || typeof bytes !== 'number' || typeof state !== 'string') return null;
  return { algorithm, bytes, state };
}

interface HashBackend {
  update(data: Uint8Array): void;
  hex(): string;
  fork(): HashBackend;
  /** The state as bytes, or null when it cannot leave the process. */
  save(): Uint8Array | null;
}

class NodeBackend implements HashBackend {
  constructor(private readonly hash: Hash) {}
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  hex(): string {
    return this.hash.copy().digest('hex');
  }
  fork(): HashBackend {
    return new NodeBackend(this.hash.copy());
  }
  save(): null {
    return null;
  }
}

// hash-wasm creates hashers asynchronously, but fork() is called synchronously at every part boundary: the
// forks of one digest share one hasher and swap their saved states in and out of it.
interface SharedHasher {
  hasher: IHasher;
  owner: WasmBackend | null;
}

class WasmBackend implements HashBackend {
  constructor(
    private readonly shared: SharedHasher,
    private state: Uint8Array,
  ) {}

  private activate(): IHasher {
    const { shared } = this;
    if (shared.owner !== this) {
      if (shared.owner) shared.owner.state = shared.hasher.save();
      shared.hasher.load(this.state);
      shared.owner = this;
    }
    return shared.hasher;
  }

  update(data: Uint8Array): void {
    this.activate().update(data);
  }
  hex(): string {
    const hasher = this.activate();
    const state = hasher.save();
    const hex = hasher.digest('hex');
    hasher.load(state);
    return hex;
  }
  save(): Uint8Array {
    return this.shared.owner === this ? this.shared.hasher.save() : this.state;
  }
  fork(): HashBackend {
    return new WasmBackend(this.shared, this.save());
  }
}

export class ContentDigest implements PartDigest {
  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly hash: HashBackend,
    /** Bytes fed so far. */
    public bytes: number,
  ) {}

  static create(algorithm: DigestAlgorithm): ContentDigest {
    return new ContentDigest(algorithm, new NodeBackend(createHash(algorithm)), 0);
  }

  /** A digest whose state can be saved (save()), from `saved` when given; hash-wasm (above). */
  static async createSavable(algorithm: DigestAlgorithm, saved: SavedDigest | null = null): Promise<ContentDigest> {
    const hasher = algorithm === 'sha1' ? await createSHA1() : await createMD5();
    hasher.init();
    const shared: SharedHasher = { hasher, owner: null };
    if (saved === null) return new ContentDigest(algorithm, new WasmBackend(shared, hasher.save()), 0);
    if (saved.algorithm !== algorithm) throw new SavedDigestError(`saved digest is ${saved.algorithm}, the copy hashes ${algorithm}`);
    // load() refuses a state that is not this hasher's (wrong length or type marker).
    try {
      hasher.load(Buffer.from(saved.state, 'base64'));
    } catch (err) {
      throw new SavedDigestError(`saved digest state does not load: ${(err as Error).message}`);
    }
    return new ContentDigest(algorithm, new WasmBackend(shared, hasher.save()), saved.bytes);
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
    this.bytes += data.length;
  }

  /** Lower-case hex digest of everything fed so far; the digest stays usable (a copy is finalised). */
  hex(): string {
    return this.hash.hex();
  }

  /** The state for a checkpoint, or null for a node:crypto digest (its state cannot leave the process). */
  save(): SavedDigest | null {
    const state = this.hash.save();
    return state === null ? null : { algorithm: this.algorithm, bytes: this.bytes, state: Buffer.from(state).toString('base64') };
  }

  /** An independent digest with the same state: where a later attempt in this process can continue from. */
  fork(): ContentDigest {
    return new ContentDigest(this.algorithm, this.hash.fork(), this.bytes);
  }
}

/** A checkpoint's saved digest that cannot be continued: the resume reads the prefix again instead. */
export class SavedDigestError extends Error {
  override name = 'SavedDigestError';
}
