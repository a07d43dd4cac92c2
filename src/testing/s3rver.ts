// A real S3 API on loopback for tests and `supervisor demo`: s3rver in a fresh temp directory, one bucket,
// port 0. Point the SDK at it with forcePathStyle and checksum 'when-required' (s3rver stores aws-chunked
// checksum trailers verbatim instead of decoding them).
//
// s3rver 3.7 lacks three multipart calls that S3 has: ListParts, AbortMultipartUpload and
// ListMultipartUploads (405 MethodNotAllowed / 501 NotImplemented). With `multipartExtensions` (the default)
// this helper serves them from s3rver's own upload directory, so resume verification and clean-up run
// for real; with `multipartExtensions: false` it is plain s3rver, for testing how the code degrades.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type S3rver from 's3rver';
import { errorMessage } from '../errors.js';
import type { StaticCredentials } from '../target/s3/s3-client.js';

/** s3rver's built-in account; it checks the key id but not SigV4 signatures. */
export const S3RVER_CREDENTIALS: StaticCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3rverHandle {
  endpoint: string;
  bucket: string;
  region: string;
  credentials: StaticCredentials;
  /** Environment for child processes that use the default credential chain. */
  env: Record<string, string>;
  directory: string;
  /** Ids of multipart uploads initiated but neither completed nor aborted, read from s3rver's directory. */
  incompleteUploadIds(): Promise<string[]>;
  /** Body bytes announced by every PUT so far (PutObject, UploadPart): what was sent to be stored, retries included. */
  bytesReceived(): number;
  /** UploadPart requests of part `partNumber` that reached the server, of every upload, retries included. */
  partSends(partNumber: number): number;
  close(): Promise<void>;
}

export interface StartS3rverOptions {
  bucket?: string;
  multipartExtensions?: boolean;
  /** false: refuse CopyObject with 501 NotImplemented, as some S3-compatible stores do (default true). */
  copyObject?: boolean;
  /** Answer every UploadPart of this part number with 500 InternalError: a fault that never clears (retry bounds). */
  failPart?: number;
}

const UPLOADS_DIR = '._S3rver_uploads';
const UPLOAD_ID = /^[0-9a-f]{8,64}$/;

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function queryString(ctx: S3rver.Context, name: string): string | undefined {
  const v = ctx.query[name];
  return typeof v === 'string' ? v : undefined;
}

function xmlError(ctx: S3rver.Context, status: number, code: string, message: string): void {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>`;
}

function xmlOk(ctx: S3rver.Context, body: string): void {
  ctx.status = 200;
  ctx.type = 'application/xml';
  ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

function multipartExtensions(directory: string) {
  return async function extensions(ctx: S3rver.Context, next: () => Promise<void>): Promise<void> {
    const segments = ctx.path.split('/').filter((s) => s !== '');
    const bucket = segments[0] ? decodeURIComponent(segments[0]) : undefined;
    const hasKey = segments.length > 1;
    const uploadId = queryString(ctx, 'uploadId');
    const listParts = ctx.method === 'GET' && hasKey && uploadId !== undefined && queryString(ctx, 'partNumber') === undefined;
    const abort = ctx.method === 'DELETE' && hasKey && uploadId !== undefined;
    const listUploads = ctx.method === 'GET' && !hasKey && 'uploads' in ctx.query;
    if (!bucket || !(listParts || abort || listUploads)) return next();

    const bucketDir = join(directory, bucket);
    if (!(await exists(bucketDir))) return xmlError(ctx, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    const uploadsDir = join(bucketDir, UPLOADS_DIR);

    if (listUploads) {
      const prefix = queryString(ctx, 'prefix') ?? '';
      const ids = (await exists(uploadsDir)) ? await readdir(uploadsDir) : [];
      const rows: string[] = [];
      for (const id of ids.sort()) {
        const key = await readFile(join(uploadsDir, id, 'key'), 'utf8').catch(() => null);
        if (key === null || !key.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploadsDir, id))).mtime.toISOString();
        rows.push(`<Upload><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`);
      }
      return xmlOk(ctx, `<ListMultipartUploadsResult><Bucket>${xmlEscape(bucket)}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${rows.join('')}</ListMultipartUploadsResult>`);
    }

    const id = uploadId ?? '';
    const uploadDir = join(uploadsDir, id);
    if (!UPLOAD_ID.test(id) || !(await exists(uploadDir))) {
      return xmlError(ctx, 404, 'NoSuchUpload', 'The specified upload does not exist.');
    }
    if (abort) {
      await rm(uploadDir, { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = '';
      return;
    }
    const key = await readFile(join(uploadDir, 'key'), 'utf8');
    const numbers = (await readdir(uploadDir))
      .filter((f) => /^\d+$/.test(f))
      .map(Number)
      .sort((a, b) => a - b);
    const parts: string[] = [];
    for (const n of numbers) {
      const [info, md5] = await Promise.all([stat(join(uploadDir, String(n))), readFile(join(uploadDir, `${n}.md5`), 'utf8').catch(() => null)]);
      // A part whose md5 is not written yet is still being stored: S3 would not list it either.
      if (md5 === null) continue;
      parts.push(`<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${info.size}</Size></Part>`);
    }
    return xmlOk(
      ctx,
      `<ListPartsResult><Bucket>${xmlEscape(bucket)}</Bucket><Key>${xmlEscape(key)}</Key><UploadId>${id}</UploadId><PartNumberMarker>0</PartNumberMarker><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`,
    );
  };
}

/**
 * s3rver is a devDependency: load it only when a server is started, so that importing this module (the CLI
 * does, for `supervisor demo`) never fails in an install without dev dependencies.
 */
async function loadS3rver(): Promise<typeof S3rver> {
  try {
    return (await import('s3rver')).default;
  } catch (err) {
    throw new Error(`the built-in S3 server needs the 's3rver' package, which is not installed (${errorMessage(err)})`, { cause: err });
  }
}

export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const bucket = options.bucket ?? 'drive-copy';
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const S3rverClass = await loadS3rver();
  const server = new S3rverClass({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    vhostBuckets: false,
    configureBuckets: [{ name: bucket }],
  });
  // Koa composes its middleware when the server starts listening, so an entry put first here runs
  // before s3rver's own router.
  if (options.multipartExtensions ?? true) server.middleware.unshift(multipartExtensions(directory));
  if (options.copyObject === false) {
    server.middleware.unshift(async (ctx, next) => {
      if (ctx.method === 'PUT' && ctx.get('x-amz-copy-source') !== '') return xmlError(ctx, 501, 'NotImplemented', 'CopyObject is not implemented');
      await next();
    });
  }
  let received = 0;
  const partSends = new Map<number, number>();
  server.middleware.unshift(async (ctx, next) => {
    if (ctx.method === 'PUT') received += Number(ctx.get('content-length')) || 0;
    const part = ctx.method === 'PUT' && queryString(ctx, 'uploadId') !== undefined ? Number(queryString(ctx, 'partNumber')) : NaN;
    if (Number.isInteger(part)) partSends.set(part, (partSends.get(part) ?? 0) + 1);
    if (part === options.failPart) return xmlError(ctx, 500, 'InternalError', `part ${part} always fails here (failPart)`);
    await next();
  });
  let address;
  try {
    address = await server.run();
  } catch (err) {
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const region = 'us-east-1';
  let closed: Promise<void> | null = null;
  return {
    endpoint,
    bucket,
    region,
    credentials: S3RVER_CREDENTIALS,
    env: {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: region,
      AWS_ENDPOINT_URL_S3: endpoint,
    },
    directory,
    bytesReceived: () => received,
    partSends: (partNumber) => partSends.get(partNumber) ?? 0,
    async incompleteUploadIds() {
      const dir = join(directory, bucket, UPLOADS_DIR);
      const ids = (await exists(dir)) ? await readdir(dir) : [];
      // Only initiated uploads (s3rver writes `key` on CreateMultipartUpload). A part request cancelled by the
      // client can reach s3rver's handler after the upload was aborted and re-create a bare part directory;
      // S3 would not store such a truncated part, and s3rver cannot list or complete it either.
      const initiated: string[] = [];
      for (const id of ids) if (await exists(join(dir, id, 'key'))) initiated.push(id);
      return initiated.sort();
    },
    close() {
      closed ??= (async () => {
        const closing = server.close();
        // Keep-alive sockets from SDK agents would hold close() open.
        server.httpServer?.closeAllConnections();
        await closing;
        await rm(directory, { recursive: true, force: true });
      })();
      return closed;
    },
  };
}
