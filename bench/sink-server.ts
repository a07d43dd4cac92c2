// A fast S3-compatible sink for the benchmark: enough of the S3 REST API (path style) for our uploader, the
// raw pipe and rclone — PutObject, multipart Create/UploadPart/Complete/Abort/ListParts/ListMultipartUploads,
// Head/Create bucket, Head/Delete object, ListObjectsV2 — that checksums every body and throws the bytes
// away, keeping only small per-object metadata. Signatures are not checked. aws-chunked bodies are decoded.
// An optional emulated wide-area network (src/fake-drive/wan.ts) adds a latency before every request is
// served and holds request bodies to a per-connection rate, as a real S3 region is far and finite (issue 21).
import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { Wan } from '../src/fake-drive/index.js';
import type { WanOptions } from '../src/fake-drive/index.js';
import { AwsChunkedDecoder } from './aws-chunked.js';

interface StoredObject {
  size: number;
  etag: string;
  lastModified: string;
  meta: Record<string, string>;
  contentType: string;
}

interface Upload {
  bucket: string;
  key: string;
  initiated: string;
  meta: Record<string, string>;
  contentType: string;
  parts: Map<number, { size: number; etag: string; md5: Buffer }>;
}

export interface SinkStats {
  bytes: number;
  requests: number;
  objects: Record<string, number>;
  /** Requests held by the emulated latency. */
  delayed: number;
}

export interface SinkOptions {
  /** Latency before each request is served and a body rate per connection; a drop fraction is not used here. */
  wan?: WanOptions;
}

export interface SinkServer {
  endpoint: string;
  stats(): SinkStats;
  close(): Promise<void>;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function sendXml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const text = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendXml(res, status, `<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`);
}

function metaOf(req: IncomingMessage): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (k.startsWith('x-amz-meta-') && typeof v === 'string') meta[k] = v.slice(0, 256);
  return meta;
}

function isChunked(req: IncomingMessage): boolean {
  const enc = req.headers['content-encoding'] ?? '';
  const sha = req.headers['x-amz-content-sha256'];
  return enc.includes('aws-chunked') || (typeof sha === 'string' && sha.startsWith('STREAMING-'));
}

/**
 * An ETag-shaped digest and the length of the request body (payload bytes after aws-chunked decoding), bytes
 * discarded. The digest is md5(CRC32 ‖ size), not the body's md5: real S3 hashes on its own servers, while
 * this sink shares the measured machine's cores with the tools under test — an md5 of every byte here took
 * ≈1.4 s of CPU per GiB away from them (and more from the tool that needs more CPU). The ETags stay
 * consistent (same bytes, same ETag), which is all the uploaders rely on.
 */
function hashBody(req: IncomingMessage, wan: Wan, count: (n: number) => void): Promise<{ md5: Buffer; size: number }> {
  return new Promise((resolve, reject) => {
    // The upload's bytes at the emulated link's rate: reading slower fills the socket and slows the sender.
    const throttle = wan.throttle(req.socket);
    const body: Readable = throttle ? req.pipe(throttle) : req;
    let crc = 0;
    let size = 0;
    const take = (b: Buffer): void => {
      crc = crc32(b, crc);
      size += b.length;
      count(b.length);
    };
    const decoder = isChunked(req) ? new AwsChunkedDecoder(take) : null;
    body.on('data', (chunk: Buffer) => {
      try {
        if (decoder) decoder.push(chunk);
        else take(chunk);
      } catch (err) {
        req.destroy();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
    body.on('end', () => resolve({ md5: createHash('md5').update(`${crc}:${size}`).digest(), size }));
    req.on('error', reject);
    if (body !== req) body.on('error', reject);
  });
}

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    req.on('data', (c: Buffer) => {
      length += c.length;
      if (length > 16 * 1024 * 1024) req.destroy(new Error('control request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startSink(options: SinkOptions = {}): Promise<SinkServer> {
  const wan = new Wan(options.wan ?? {});
  const buckets = new Map<string, Map<string, StoredObject>>();
  const uploads = new Map<string, Upload>();
  let bytes = 0;
  let requests = 0;
  const count = (n: number): void => {
    bytes += n;
  };
  const bucketOf = (name: string): Map<string, StoredObject> => {
    let b = buckets.get(name);
    if (!b) {
      b = new Map();
      buckets.set(name, b);
    }
    return b;
  };

  const listObjects = (res: ServerResponse, bucket: string, q: URLSearchParams): void => {
    const objects = bucketOf(bucket);
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.max(1, Math.min(1000, Number(q.get('max-keys') ?? '1000') || 1000));
    const token = q.get('continuation-token');
    const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const contents: string[] = [];
    const prefixes = new Set<string>();
    let last = '';
    let truncated = false;
    for (const key of keys) {
      if (contents.length + prefixes.size >= maxKeys) {
        truncated = true;
        break;
      }
      last = key;
      if (delimiter !== '') {
        const cut = key.indexOf(delimiter, prefix.length);
        if (cut >= 0) {
          prefixes.add(key.slice(0, cut + delimiter.length));
          continue;
        }
      }
      const o = objects.get(key);
      if (!o) continue;
      contents.push(`<Contents><Key>${xmlEscape(key)}</Key><LastModified>${o.lastModified}</LastModified><ETag>"${o.etag}"</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`);
    }
    const next = truncated ? `<NextContinuationToken>${Buffer.from(last).toString('base64url')}</NextContinuationToken>` : '';
    const common = [...prefixes].map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`).join('');
    sendXml(
      res,
      200,
      `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${contents.length + prefixes.size}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>${delimiter ? `<Delimiter>${xmlEscape(delimiter)}</Delimiter>` : ''}<IsTruncated>${truncated}</IsTruncated>${next}${contents.join('')}${common}</ListBucketResult>`,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://sink.invalid');
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    if (url.pathname === '/__stats') {
      const objects: Record<string, number> = {};
      for (const [name, b] of buckets) objects[name] = b.size;
      const text = JSON.stringify({ bytes, requests, objects, delayed: wan.stats.delayed } satisfies SinkStats);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    const slash = url.pathname.indexOf('/', 1);
    const bucket = decodeURIComponent(slash === -1 ? url.pathname.slice(1) : url.pathname.slice(1, slash));
    const key = slash === -1 ? '' : decodeURIComponent(url.pathname.slice(slash + 1));
    if (bucket === '') {
      const list = [...buckets.keys()].map((b) => `<Bucket><Name>${xmlEscape(b)}</Name><CreationDate>2024-01-01T00:00:00.000Z</CreationDate></Bucket>`).join('');
      return sendXml(res, 200, `<ListAllMyBucketsResult><Buckets>${list}</Buckets></ListAllMyBucketsResult>`);
    }
    const objects = bucketOf(bucket);
    if (key === '') {
      if (method === 'HEAD' || method === 'PUT') {
        await readText(req);
        res.writeHead(200, { 'Content-Length': 0 });
        res.end();
        return;
      }
      if (method === 'GET' && q.has('location')) return sendXml(res, 200, '<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>');
      if (method === 'GET' && q.has('uploads')) {
        const prefix = q.get('prefix') ?? '';
        const rows = [...uploads.entries()]
          .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
          .map(([id, u]) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${id}</UploadId><Initiated>${u.initiated}</Initiated></Upload>`)
          .join('');
        return sendXml(res, 200, `<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${rows}</ListMultipartUploadsResult>`);
      }
      if (method === 'GET') return listObjects(res, bucket, q);
      if (method === 'DELETE') {
        // DeleteBucket forgets the bucket with everything in it: the benchmark drops each run's bucket once
        // counted, so this process's heap stays small. Holding every run's objects (20 k small files × 13
        // runs) made each full GC — which the stream of incoming body Buffers keeps triggering — slow, and
        // the sink burned up to 4.7 CPU s per GiB received, CPU the tools under test need.
        buckets.delete(bucket);
        for (const [id, u] of uploads) if (u.bucket === bucket) uploads.delete(id);
        res.writeHead(204);
        res.end();
        return;
      }
      return sendError(res, 501, 'NotImplemented', `${method} on a bucket`);
    }
    const uploadId = q.get('uploadId');
    if (method === 'POST' && q.has('uploads')) {
      await readText(req);
      const id = randomBytes(16).toString('hex');
      uploads.set(id, { bucket, key, initiated: new Date().toISOString(), meta: metaOf(req), contentType: req.headers['content-type'] ?? 'application/octet-stream', parts: new Map() });
      return sendXml(res, 200, `<InitiateMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId></InitiateMultipartUploadResult>`);
    }
    if (uploadId !== null) {
      const upload = uploads.get(uploadId);
      if (!upload) {
        await readText(req).catch(() => '');
        return sendError(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      }
      if (method === 'PUT') {
        const partNumber = Number(q.get('partNumber'));
        const { md5, size } = await hashBody(req, wan, count);
        const etag = md5.toString('hex');
        upload.parts.set(partNumber, { size, etag, md5 });
        res.writeHead(200, { ETag: `"${etag}"`, 'Content-Length': 0 });
        res.end();
        return;
      }
      if (method === 'GET') {
        const parts = [...upload.parts.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([n, p]) => `<Part><PartNumber>${n}</PartNumber><LastModified>${upload.initiated}</LastModified><ETag>"${p.etag}"</ETag><Size>${p.size}</Size></Part>`)
          .join('');
        return sendXml(res, 200, `<ListPartsResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${uploadId}</UploadId><PartNumberMarker>0</PartNumberMarker><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts}</ListPartsResult>`);
      }
      if (method === 'DELETE') {
        uploads.delete(uploadId);
        res.writeHead(204);
        res.end();
        return;
      }
      if (method === 'POST') {
        const body = await readText(req);
        const numbers = [...body.matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
        const hash = createHash('md5');
        let size = 0;
        for (const n of numbers) {
          const p = upload.parts.get(n);
          if (!p) return sendError(res, 400, 'InvalidPart', `part ${n} was not uploaded`);
          hash.update(p.md5);
          size += p.size;
        }
        const etag = `${hash.digest('hex')}-${numbers.length}`;
        objects.set(key, { size, etag, lastModified: new Date().toISOString(), meta: upload.meta, contentType: upload.contentType });
        uploads.delete(uploadId);
        return sendXml(res, 200, `<CompleteMultipartUploadResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`);
      }
    }
    if (method === 'PUT') {
      if (req.headers['x-amz-copy-source'] !== undefined) return sendError(res, 501, 'NotImplemented', 'CopyObject');
      const { md5, size } = await hashBody(req, wan, count);
      const etag = md5.toString('hex');
      objects.set(key, { size, etag, lastModified: new Date().toISOString(), meta: metaOf(req), contentType: req.headers['content-type'] ?? 'application/octet-stream' });
      res.writeHead(200, { ETag: `"${etag}"`, 'Content-Length': 0 });
      res.end();
      return;
    }
    if (method === 'HEAD' || method === 'GET') {
      const o = objects.get(key);
      if (!o) {
        if (method === 'HEAD') {
          res.writeHead(404, { 'Content-Length': 0 });
          res.end();
          return;
        }
        return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      }
      if (method === 'GET') return sendError(res, 501, 'NotImplemented', 'the benchmark sink keeps no bytes');
      res.writeHead(200, { 'Content-Length': o.size, ETag: `"${o.etag}"`, 'Last-Modified': new Date(o.lastModified).toUTCString(), 'Content-Type': o.contentType, ...o.meta });
      res.end();
      return;
    }
    if (method === 'DELETE') {
      objects.delete(key);
      res.writeHead(204);
      res.end();
      return;
    }
    return sendError(res, 501, 'NotImplemented', `${method} ${url.pathname}`);
  };

  const fail = (res: ServerResponse) => (err: unknown): void => {
    if (!res.headersSent) sendError(res, 500, 'InternalError', err instanceof Error ? err.message : String(err));
    else res.destroy();
  };
  const server: Server = createServer((req, res) => {
    // The latency is paid before a request is served; the bench's own /__stats reads are not delayed.
    if ((wan.options.latencyMs ?? 0) > 0 && req.url !== '/__stats') void wan.delay().then(() => handle(req, res)).catch(fail(res));
    else handle(req, res).catch(fail(res));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => {
      const objects: Record<string, number> = {};
      for (const [name, b] of buckets) objects[name] = b.size;
      return { bytes, requests, objects, delayed: wan.stats.delayed };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
