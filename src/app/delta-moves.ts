// A delta's renamed and moved files (issue 22): when the journal has the same file with the same content
// copied at another key, its object is copied inside S3 (target/s3/copy-object.ts) instead of downloaded
// again, so a renamed folder costs one request per object, not its bytes. Anything that cannot be copied
// that way (the store refuses CopyObject, the old object is missing, over 5 GiB) is recorded as pending and
// copied from Drive as any new file. The old key is then a gone row: kept or deleted per --deletes.
import type { S3Client } from '@aws-sdk/client-s3';
import type { ListedEntry } from '../source/drive/drive-item.js';
import type { CopySource } from '../journal/delta-store.js';
import type { Journal } from '../journal/journal.js';
import type { Logger } from '../observability/logger.js';
import { CopyObjectRefusedError, copyObjectInBucket } from '../target/s3/copy-object.js';
import { objectWriteOptions } from '../target/s3/object-metadata.js';
import type { S3TargetOptions } from '../target/s3/s3-options.js';
import type { JournalWriteGuard } from './journal-write-guard.js';

// CopyObject requests in flight at once: each is one small request, S3 does the bytes.
const CONCURRENCY = 8;

export interface ServerCopyTarget {
  s3: S3Client;
  target: S3TargetOptions;
}

export interface MoveCounts {
  /** Objects copied inside S3. */
  copied: number;
  /** Moves copied from Drive instead (refused, missing, too large). */
  fromDrive: number;
}

interface Move {
  /** The listed entry whole, so that what is recorded for it (its source metadata too) is what was listed. */
  entry: Extract<ListedEntry, { kind: 'file' }>;
  from: CopySource;
}

/** Collects a delta's moves while it lists, then applies them; `take` keeps the entries it will apply. */
export class DeltaMoves {
  private readonly moves: Move[] = [];
  private refused = false;
  readonly counts: MoveCounts = { copied: 0, fromDrive: 0 };

  constructor(private readonly c: { journal: Journal; guard: JournalWriteGuard; log: Logger; copy: ServerCopyTarget; signal: AbortSignal }) {}

  /** The entries to record now; a file with a copied object at another key is kept back for a server-side copy. */
  take(entries: ListedEntry[]): ListedEntry[] {
    return entries.filter((e) => {
      if (e.kind !== 'file' || this.refused) return true;
      const { item } = e;
      if (this.c.journal.delta.existing(item.id, item.key) !== undefined) return true;
      const from = this.c.journal.delta.copySource(item);
      if (from === undefined) return true;
      this.moves.push({ entry: e, from });
      return false;
    });
  }

  /** Copy every kept-back move inside S3 and record it done, or record it pending for a copy from Drive. */
  async apply(): Promise<MoveCounts> {
    const queue = this.moves.splice(0);
    const worker = async (): Promise<void> => {
      for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
        this.c.signal.throwIfAborted();
        await this.applyOne(m);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (this.counts.copied > 0 || this.counts.fromDrive > 0) this.c.log.info({ ...this.counts }, 'renamed/moved files: copied inside S3 or, where it could not, from Drive');
    return this.counts;
  }

  private async applyOne(m: Move): Promise<void> {
    const { journal, guard } = this.c;
    const { entry } = m;
    const { item } = entry;
    if (!this.refused) {
      try {
        const r = await copyObjectInBucket(this.c.copy.s3, {
          bucket: this.c.copy.target.bucket,
          fromKey: m.from.key,
          toKey: item.key,
          size: m.from.bytes,
          write: objectWriteOptions(this.c.copy.target, item),
          signal: this.c.signal,
        });
        if (r.kind === 'copied') {
          guard.run(() => journal.batch(() => {
            journal.recordListed([entry]);
            journal.delta.markCopied(item.id, item.key, { ...m.from, etag: r.etag ?? m.from.etag });
          }), undefined);
          this.counts.copied++;
          return;
        }
        this.c.log.info({ key: item.key, from: m.from.key, why: r.kind }, 'a renamed/moved file is copied from Drive: its old object cannot be copied inside S3');
      } catch (err) {
        if (this.c.signal.aborted) throw err;
        if (err instanceof CopyObjectRefusedError) {
          // Said once: the copies already in flight meet the same refusal.
          if (!this.refused) this.c.log.warn({ detail: err.detail }, 'the S3 store refuses CopyObject: renamed and moved files are copied from Drive again');
          this.refused = true;
        } else {
          // Any other failure loses nothing: the file is copied from Drive, with the copy's own retries.
          this.c.log.warn({ key: item.key, err: err instanceof Error ? err.name : String(err) }, 'CopyObject failed: the renamed/moved file is copied from Drive');
        }
      }
    }
    guard.run(() => journal.recordListed([entry]), undefined);
    this.counts.fromDrive++;
  }
}
