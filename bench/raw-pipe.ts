// The raw pipe: the least a process can do to copy the same files — Drive GET alt=media → S3 upload
// (client-s3 PutObject, or multipart with the same part size and parts in flight as ours), `parallelism`
// files at once, no supervisor, no journal, no retries: the ceiling ours is compared with. It hashes every
// file when `verify` is set, with the checksum ours verifies (SHA-1 when Drive reports one, else MD5; in
// node:crypto, the cheapest) and checks it against the manifest: a copy that verifies its bytes cannot skip
// that work, so the ceiling for one that must should not either. Its S3 client is ours (createS3Client),
// so payload signing is the same choice as ours too.
// (@aws-sdk/lib-storage is not a dependency of this project, so the multipart loop is written out here.)
// Config arrives as JSON in BENCH_RAW; prints one JSON line {files, bytes} and exits 0 when all copied.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Agent, get } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import type { CompletedPart } from '@aws-sdk/client-s3';
import { mediaUrl } from '../src/source/drive/media-request.js';
import { checksumToVerify } from '../src/copy/content-digest.js';
import type { ChecksumToVerify } from '../src/copy/content-digest.js';
import { createS3Client } from '../src/target/s3/s3-client.js';
import { resolveS3Options } from '../src/target/s3/s3-options.js';
import type { ManifestEntry } from './index-server.js';

export interface RawPipeConfig {
  driveRootUrl: string;
  token: string;
  manifestUrl: string;
  endpoint: string;
  bucket: string;
  parallelism: number;
  partSize: number;
  queueSize: number;
  /** Hash every file and compare with the manifest's checksum (the same work a verifying copy does). */
  verify: boolean;
  /** SHA-256 of every part in its SigV4 signature (ours: --s3-sign-payload). */
  signPayload: boolean;
}

class RawPipeError extends Error {
  override readonly name = 'RawPipeError';
}

const config = JSON.parse(process.env.BENCH_RAW ?? '') as RawPipeConfig;
const driveAgent = new Agent({ keepAlive: true, maxSockets: config.parallelism });

/**
 * GET one file's media. A keep-alive socket the server closes just as it is reused fails the request before
 * any response (ECONNRESET on a reused socket); that GET is sent again once on a fresh socket, as Node's docs
 * advise for this race (`request.reusedSocket`) — not a retry of a failed copy, which the raw pipe never makes.
 * Without it the 8-worker mixed run died of it once (28 Nov, 32 files at once against the fake Drive).
 */
function download(id: string, staleRetry = true): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = mediaUrl(config.driveRootUrl, id, false);
    const req = get(url, { agent: driveAgent, headers: { Authorization: `Bearer ${config.token}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new RawPipeError(`GET ${id}: HTTP ${res.statusCode ?? '?'}`));
        return;
      }
      resolve(res);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (staleRetry && req.reusedSocket && err.code === 'ECONNRESET') download(id, false).then(resolve, reject);
      else reject(err);
    });
  });
}

const manifest = (await (await fetch(config.manifestUrl)).json()) as ManifestEntry[];
const s3 = createS3Client(
  resolveS3Options({
    bucket: config.bucket,
    endpoint: config.endpoint,
    forcePathStyle: true,
    checksum: 'when-required',
    signPayload: config.signPayload ? 'always' : 'never',
  }),
  { maxSockets: config.parallelism * config.queueSize + 2 },
);

/** Cut the body into part-sized Buffers (collect chunks, one concat per part). */
async function* parts(body: IncomingMessage, hash: Hash | null): AsyncGenerator<Buffer> {
  let chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash?.update(chunk);
    chunks.push(chunk);
    length += chunk.length;
    while (length >= config.partSize) {
      const all = Buffer.concat(chunks, length);
      yield all.subarray(0, config.partSize);
      const rest = all.subarray(config.partSize);
      chunks = rest.length > 0 ? [rest] : [];
      length = rest.length;
    }
  }
  if (length > 0 || chunks.length === 0) yield Buffer.concat(chunks, length);
}

/** The checksum to verify, chosen as ours chooses it (null: nothing to check). */
function expected(entry: ManifestEntry): ChecksumToVerify | null {
  const want = config.verify ? checksumToVerify(entry) : null;
  return want?.expected ? want : null;
}

function check(entry: ManifestEntry, want: ChecksumToVerify | null, hash: Hash | null): void {
  if (want === null || hash === null) return;
  const got = hash.digest('hex');
  if (got !== want.expected) throw new RawPipeError(`${entry.path}: ${want.algorithm} ${got}, expected ${want.expected ?? ''}`);
}

async function upload(entry: ManifestEntry, body: IncomingMessage): Promise<void> {
  const Bucket = config.bucket;
  const key = entry.path;
  const want = expected(entry);
  const hash = want ? createHash(want.algorithm) : null;
  if (entry.size <= config.partSize) {
    let data: Buffer = Buffer.alloc(0);
    for await (const part of parts(body, hash)) data = part;
    check(entry, want, hash);
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: data, ContentLength: data.length }));
    return;
  }
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: key }));
  const UploadId = created.UploadId;
  if (UploadId === undefined) throw new RawPipeError(`no UploadId for ${key}`);
  const done: CompletedPart[] = [];
  const inflight = new Set<Promise<void>>();
  let PartNumber = 0;
  for await (const data of parts(body, hash)) {
    const n = ++PartNumber;
    const task: Promise<void> = s3
      .send(new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: n, Body: data, ContentLength: data.length }))
      .then((res) => {
        done.push({ PartNumber: n, ETag: res.ETag ?? '' });
      })
      .finally(() => inflight.delete(task));
    inflight.add(task);
    if (inflight.size >= config.queueSize) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  check(entry, want, hash);
  done.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }));
}

let next = 0;
let bytes = 0;
async function worker(): Promise<void> {
  for (;;) {
    const entry = manifest[next++];
    if (!entry) return;
    const body = await download(entry.id);
    await upload(entry, body);
    bytes += entry.size;
  }
}

await Promise.all(Array.from({ length: config.parallelism }, () => worker()));
s3.destroy();
driveAgent.destroy();
process.stdout.write(`${JSON.stringify({ files: manifest.length, bytes })}\n`);
