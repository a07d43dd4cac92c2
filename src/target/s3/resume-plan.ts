// Where a multipart upload that survives the child dying resumes: each uploaded part is checkpointed (in
// order) through the supervisor, and a later attempt continues the same UploadId from the next part that S3
// still lists (upload-engine.ts takes the plan as its `resume`). Built on client-s3 directly because
// lib-storage cannot resume an UploadId (aws-sdk-js-v3#6832). copy/copy-item.ts runs one attempt as:
// plan → the digest of bytes [0, resumeOffset(plan)) → the source from there → upload with `resume` and
// `onCheckpoint`, refusing in beforeComplete when the digest does not match.
import { ListPartsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { JsonObject, JsonValue } from '../../ipc/json.js';
import { abortMultipartQuietly, isUnsupportedOperation } from './multipart-cleanup.js';
import { s3ErrorDetail } from './s3-errors.js';
import { unquoteEtag } from './upload-engine.js';
import type { MultipartCheckpoint, UploadedPart } from './upload-engine.js';
import type { ResumePlan } from '../target.js';

export { resumeOffset } from './upload-engine.js';
export type { MultipartCheckpoint, UploadedPart, UploadResult } from './upload-engine.js';

export type { ResumePlan } from '../target.js';

function isRecord(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parse a checkpoint received as JSON; null when it is not one of ours. Checkpoints journaled by earlier
 * versions also carry a `digestState` (a WebAssembly hasher's): ignored, the digest is rebuilt instead.
 */
export function parseCheckpoint(json: JsonObject | null): MultipartCheckpoint | null {
  if (!json) return null;
  const { uploadId, key, partSize, parts } = json;
  if (typeof uploadId !== 'string' || typeof key !== 'string' || typeof partSize !== 'number' || !Array.isArray(parts)) return null;
  const out: UploadedPart[] = [];
  for (const [i, raw] of parts.entries()) {
    if (!isRecord(raw)) return null;
    const { partNumber, etag, size, crc32 } = raw;
    if (partNumber !== i + 1 || typeof etag !== 'string' || typeof size !== 'number') return null;
    if (crc32 !== null && typeof crc32 !== 'string') return null;
    out.push({ partNumber, etag, size, crc32 });
  }
  return { uploadId, key, partSize, parts: out };
}

async function listParts(client: S3Client, bucket: string, key: string, uploadId: string): Promise<Map<number, { etag: string; size: number }>> {
  const listed = new Map<number, { etag: string; size: number }>();
  let marker: string | undefined;
  for (;;) {
    const page = await client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker }));
    for (const p of page.Parts ?? []) {
      if (p.PartNumber !== undefined && p.ETag) listed.set(p.PartNumber, { etag: unquoteEtag(p.ETag), size: p.Size ?? -1 });
    }
    if (!page.IsTruncated || !page.NextPartNumberMarker) return listed;
    marker = page.NextPartNumberMarker;
  }
}

/**
 * Decide how an attempt starts from the item's last checkpoint. With ListParts, keep the longest prefix of
 * checkpointed parts that S3 still lists with the same ETag and size; without ListParts (s3rver), trust
 * the checkpoint. Drops the whole upload (aborting it) when it cannot be continued: different key or
 * part size.
 */
export async function prepareResume(
  client: S3Client,
  bucket: string,
  key: string,
  partSize: number,
  checkpointJson: JsonObject | null,
): Promise<ResumePlan> {
  if (!checkpointJson) return { resume: null, reason: 'no-checkpoint' };
  const cp = parseCheckpoint(checkpointJson);
  if (!cp) return { resume: null, reason: 'invalid-checkpoint' };
  if (cp.key !== key || cp.partSize !== partSize) {
    await abortMultipartQuietly(client, bucket, cp.key, cp.uploadId);
    return { resume: null, reason: 'settings-changed' };
  }
  let listed: Map<number, { etag: string; size: number }>;
  try {
    listed = await listParts(client, bucket, key, cp.uploadId);
  } catch (err) {
    if (isUnsupportedOperation(err)) return { resume: cp, verified: false, droppedParts: 0 };
    const { name, status } = s3ErrorDetail(err);
    if (name === 'NoSuchUpload' || status === 404) return { resume: null, reason: 'upload-gone' };
    throw err;
  }
  let keep = 0;
  for (const part of cp.parts) {
    const found = listed.get(part.partNumber);
    if (!found || found.etag !== part.etag || found.size !== part.size) break;
    keep += 1;
  }
  if (keep === cp.parts.length) return { resume: cp, verified: true, droppedParts: 0 };
  return { resume: { ...cp, parts: cp.parts.slice(0, keep) }, verified: true, droppedParts: cp.parts.length - keep };
}
