// The per-drive manifest (issue 23): one JSON line per copied file — id, path, key, size, checksums, types,
// times, owners, permissions, description, starred, export format — gzipped to a temporary file beside the
// journal and put in S3 in one PutObject at the end of a pass. Rewritten only when its drive's rows changed.
// One folder or shared drive: one at --s3-prefix; an organisation run: one under each drive's own prefix.
import type { Shard } from '../config/shard.js';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Journal } from '../journal/journal.js';
import type { ManifestRow } from '../journal/manifest-rows.js';
import { putFile } from '../target/s3/put-file.js';

export const MANIFEST_CONTENT_TYPE = 'application/gzip';

export type ManifestOutcome =
  | { written: true; key: string; files: number; bytes: number }
  | { written: false; key: string | null; why: 'disabled' | 'unchanged' | 'key-taken' };

/**
 * A one-folder shard's own manifest name (`_manifest.shard-1-of-4.jsonl.gz`): the shards share one prefix and
 * each journal knows only its own files, so one shared name would keep only the last shard's.
 */
export function shardManifestName(name: string, shard: Shard | null): string {
  if (name === '' || shard === null || shard.count === 1) return name;
  const tag = `.shard-${shard.index}-of-${shard.count}`;
  return name.endsWith(GZ_LINES) ? `${name.slice(0, -GZ_LINES.length)}${tag}${GZ_LINES}` : `${name}${tag}`;
}

const GZ_LINES = '.jsonl.gz';

export function manifestKey(prefix: string, key: string): string | null {
  if (key === '') return null;
  return prefix ? `${prefix}/${key}` : key;
}

function line(r: ManifestRow): string {
  const m = r.meta;
  return `${JSON.stringify({
    id: r.id,
    path: r.path,
    key: r.key,
    size: r.size,
    md5: r.md5,
    sha1: r.sha1,
    mimeType: r.mimeType,
    contentType: r.contentType,
    createdTime: m?.createdTime ?? null,
    modifiedTime: r.modifiedTime,
    owners: m?.owners ?? [],
    permissions: m?.permissions ?? [],
    description: m?.description ?? null,
    starred: m?.starred ?? false,
    exportFormat: r.exportFormat,
  })}\n`;
}

export interface ManifestWrite {
  journal: Journal;
  s3: S3Client;
  bucket: string;
  /** Where the manifest goes: --s3-prefix, or a drive's own prefix in an organisation run. */
  prefix: string;
  /** --manifest-key: its name under `prefix` ('' writes none). */
  key: string;
  statePath: string;
  /** Only the rows whose keys start with this (a drive's `users/<email>/`); '' for every row. */
  rowsUnder?: string;
}

/** Write the manifest when its rows changed since the last one at this key; a Drive file at the key wins. */
export async function writeManifest(c: ManifestWrite): Promise<ManifestOutcome> {
  const key = manifestKey(c.prefix, c.key);
  if (key === null) return { written: false, key: null, why: 'disabled' };
  if (c.journal.manifest.keyTaken(key)) return { written: false, key, why: 'key-taken' };
  const under = c.rowsUnder ?? '';
  const fingerprint = c.journal.manifest.fingerprint(under);
  if (c.journal.manifest.written(key) === fingerprint) return { written: false, key, why: 'unchanged' };
  const tmp = join(dirname(c.statePath), `.manifest-${process.pid}.jsonl.gz`);
  let files = 0;
  let bytes = 0;
  const rows = c.journal.manifest.rows(under);
  const lines = Readable.from(
    (function* () {
      for (const r of rows) {
        files++;
        bytes += r.size ?? 0;
        yield line(r);
      }
    })(),
  );
  try {
    await pipeline(lines, createGzip(), createWriteStream(tmp, { mode: 0o600 }));
    await putFile(c.s3, c.bucket, key, tmp, MANIFEST_CONTENT_TYPE);
  } finally {
    await rm(tmp, { force: true });
  }
  c.journal.manifest.setWritten(key, fingerprint);
  return { written: true, key, files, bytes };
}
