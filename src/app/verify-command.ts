// `supervisor verify`: every done item checked against S3 — present, same size, stored md5 — and with
// --deep re-read and re-hashed. Exit 1 on any mismatch, with the list.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '../config/settings.js';
import { ExitCode } from '../exit-codes.js';
import { JournalReader } from '../journal/journal-reader.js';
import type { DoneRecord } from '../journal/types.js';
import { readObjectMetadata } from '../target/s3/object-metadata.js';
import { createS3Client } from '../target/s3/s3-client.js';
import { s3TargetFor } from './source-target.js';
import type { Extras } from './source-target.js';

export interface VerifyResult {
  checked: number;
  mismatches: { key: string; problem: string }[];
}

async function hashObject(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('md5');
  for await (const chunk of res.Body as Readable) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function check(s3: S3Client, bucket: string, rec: DoneRecord, deep: boolean): Promise<string | null> {
  const info = await readObjectMetadata(s3, bucket, rec.key);
  if (!info) return 'missing in S3';
  if (info.size !== rec.size) return `size ${info.size} in S3, ${rec.size} in the journal`;
  if (rec.md5 && info.md5 && info.md5 !== rec.md5) return `stored md5 ${info.md5}, journal md5 ${rec.md5}`;
  if (deep && rec.md5) {
    const actual = await hashObject(s3, bucket, rec.key);
    if (actual !== rec.md5) return `content md5 ${actual}, expected ${rec.md5}`;
  }
  return null;
}

export async function verifyJournal(settings: Settings, extras: Extras = {}): Promise<VerifyResult> {
  const target = s3TargetFor(settings);
  const s3 = createS3Client(target, { maxSockets: 8, ...(extras.s3Credentials ? { credentials: extras.s3Credentials } : {}) });
  const journal = JournalReader.openReadOnly(settings.state);
  const result: VerifyResult = { checked: 0, mismatches: [] };
  try {
    // Bounded parallelism over a streamed iterator: a million done rows never sit in memory.
    const inFlight = new Set<Promise<void>>();
    for (const rec of journal.doneItems()) {
      const p = check(s3, target.bucket, rec, settings.deep).then(
        (problem) => {
          result.checked++;
          if (problem) result.mismatches.push({ key: rec.key, problem });
        },
        (err: unknown) => {
          result.checked++;
          result.mismatches.push({ key: rec.key, problem: `check failed: ${err instanceof Error ? err.message : String(err)}` });
        },
      );
      const tracked = p.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  } finally {
    journal.close();
    s3.destroy();
  }
  return result;
}

export async function verifyCommand(settings: Settings, extras: Extras = {}): Promise<number> {
  const result = await verifyJournal(settings, extras);
  for (const m of result.mismatches) process.stdout.write(`MISMATCH ${m.key}: ${m.problem}\n`);
  process.stdout.write(`verify${settings.deep ? ' --deep' : ''}: ${result.checked} objects checked, ${result.mismatches.length} mismatches\n`);
  return result.mismatches.length > 0 ? ExitCode.SomeFailed : ExitCode.Ok;
}
