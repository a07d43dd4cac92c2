// The one S3 upload (S3Target.upload, s3-target.ts), built on client-s3 directly: a single PutObject when the
// whole body fits in one part, else a multipart upload with up to `queueSize` parts in memory / in flight,
// which a resumable upload keeps on failure (each part checkpointed, in order) for a later attempt to
// continue from its resume plan (resume-plan.ts); any other failure aborts it before this returns.
//
// Why not @aws-sdk/lib-storage's Upload: it cannot resume an UploadId (aws-sdk-js-v3#6832); its abort()
// makes done() reject while parts are still in flight and before AbortMultipartUpload is sent, so neither
// "nothing left behind" nor "memory released" holds when it returns; its chunker Buffer.concat()s each part
// (two copies of a part alive at once, plus a remainder that pins the previous part), which makes the
// memory bound the supervisor admits against looser and harder to prove; and it has no hook between the
// last part and CompleteMultipartUpload where an md5 mismatch could still refuse to create the object.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { CompletedPart, S3Client } from '@aws-sdk/client-s3';
import { ItemError } from '../../errors.js';
import type { ObjectWriteOptions } from './object-metadata.js';
import { writeParams } from './object-metadata.js';
import { MAX_PARTS } from './part-size.js';
import { PartReader } from '../../copy/part-reader.js';
import type { PartDigest, PartSource, ReadPart } from '../../copy/part-reader.js';
import type { ChecksumMode } from './s3-options.js';
import { isAbortError, toItemError } from './s3-errors.js';
import { abortMultipartQuietly } from './multipart-cleanup.js';
import { CompleteFailedError, resumeOffset } from '../target.js';
import type { MultipartCheckpoint, UploadBytes, UploadedPart, UploadResult } from '../target.js';

export type { MultipartCheckpoint, UploadedPart, UploadResult } from '../target.js';
export { resumeOffset } from '../target.js';

export interface UploadParams {
  client: S3Client;
  bucket: string;
  key: string;
  write: ObjectWriteOptions;
  checksum: ChecksumMode;
  /** The object's bytes from resumeOffset(resume) on, or parts read elsewhere (target.ts UploadBytes). */
  bytes: UploadBytes;
  /** Total object size when known (not the remaining bytes); null for streams of unknown length (capped at partSize × 10,000, see part-size.ts). */
  size: number | null;
  partSize: number;
  /** Parts held in memory / in flight at once (the one being filled included). */
  queueSize: number;
  /** Fed every byte read, in order (the checkpoint does not carry its state: see copy/content-digest.ts). */
  digest?: PartDigest | null;
  /**
   * Called after the last byte was read and every part uploaded, before the object is created
   * (PutObject / CompleteMultipartUpload). Throw to refuse: the upload is aborted and no object appears.
   */
  beforeComplete?: ((info: { bytes: number }) => void | Promise<void>) | null;
  signal?: AbortSignal | null;
  /** A resumable upload's checkpoint from prepareResume (verified or trusted); null or absent: a new upload. */
  resume?: MultipartCheckpoint | null;
  /** Called once after create, then once per part, in part-number order, when parts 1..n are all uploaded. */
  onCheckpoint?: ((state: MultipartCheckpoint) => void) | null;
  /** Keep the multipart upload (and its parts) when an attempt fails, so the checkpoint can resume it. */
  keepUploadOnFailure?: boolean;
}

/** The object was refused before completion (beforeComplete threw): never resumable as is. */
class RefusedError extends Error {
  override readonly name = 'RefusedError';
  constructor(readonly original: unknown) {
    super('upload refused before completion');
  }
}

/** S3 sends ETags in quotes; the journal and the comparisons keep them bare. */
export function unquoteEtag(etag: string): string {
  return etag.replace(/"/g, '');
}

function completedPart(p: UploadedPart): CompletedPart {
  return { PartNumber: p.partNumber, ETag: p.etag, ...(p.crc32 ? { ChecksumCRC32: p.crc32 } : {}) };
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return Object.assign(new Error('upload aborted'), { name: 'AbortError' });
}

/** Run the caller's pre-completion check; anything it throws becomes a RefusedError (abort, never resume). */
async function refuseOnThrow(check: UploadParams['beforeComplete'], bytes: number): Promise<void> {
  if (!check) return;
  try {
    await check({ bytes });
  } catch (err) {
    throw new RefusedError(err);
  }
}

export async function upload(run: UploadParams): Promise<UploadResult> {
  const { client, bucket, key, write } = run;
  const crc32 = run.checksum === 'when-supported';
  const resume = run.resume ?? null;
  if (resume && (resume.key !== key || resume.partSize !== run.partSize)) {
    throw new ItemError('checkpoint does not match this upload (key or part size changed)', true, 'checkpoint-mismatch');
  }
  const offset = resumeOffset(resume);
  if (run.size !== null && offset > run.size) throw new ItemError('checkpoint covers more bytes than the object has', true, 'checkpoint-mismatch');

  const firstPartNumber = (resume?.parts.length ?? 0) + 1;
  const reader: PartSource =
    'openParts' in run.bytes
      ? run.bytes.openParts({ firstPartNumber, offset })
      : new PartReader(run.bytes.source, {
          partSize: run.partSize,
          queueSize: run.queueSize,
          expectedBytes: run.size === null ? null : run.size - offset,
          firstPartNumber,
          digest: run.digest ?? null,
        });
  // Aborting this controller cancels every request of the upload; the caller's signal feeds it.
  const controller = new AbortController();
  // Stopping the reader unblocks a read waiting on a stalled download.
  const onOuterAbort = (): void => {
    controller.abort(run.signal?.reason);
    reader.stop();
  };
  if (run.signal?.aborted) throw abortError(run.signal);
  run.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const sendOpts = { abortSignal: controller.signal };

  let state: MultipartCheckpoint | null = resume ? { ...resume, parts: [...resume.parts] } : null;
  let uploadId = resume?.uploadId ?? null;
  const done = new Map<number, UploadedPart>();
  const inflight = new Set<Promise<void>>();
  let failure: { err: unknown } | null = null;

  const emitCheckpoint = (): void => {
    if (!state || !run.onCheckpoint) return;
    run.onCheckpoint({ ...state, parts: [...state.parts] });
  };

  const advance = (): void => {
    if (!state) return;
    for (;;) {
      const next = done.get(state.parts.length + 1);
      if (!next) return;
      done.delete(next.partNumber);
      state.parts.push(next);
      emitCheckpoint();
    }
  };

  const uploadPart = async (part: ReadPart, id: string): Promise<void> => {
    const res = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId: id,
        PartNumber: part.partNumber,
        Body: part.data,
        ContentLength: part.data.length,
        ...(crc32 ? { ChecksumAlgorithm: 'CRC32' } : {}),
      }),
      sendOpts,
    );
    if (!res.ETag) throw new ItemError(`UploadPart ${part.partNumber} returned no ETag`, true, 's3-no-etag');
    done.set(part.partNumber, { partNumber: part.partNumber, etag: unquoteEtag(res.ETag), size: part.data.length, crc32: res.ChecksumCRC32 ?? null });
    advance();
  };

  // A failed part stops the reading but not the other parts in flight: see the catch block below.
  const fail = (err: unknown): void => {
    failure ??= { err };
    reader.stop();
  };

  try {
    for (;;) {
      if (failure) break;
      if (controller.signal.aborted) throw abortError(controller.signal);
      const part = await reader.next();
      if (!part) break;
      if (part.partNumber > MAX_PARTS) {
        part.release();
        throw new ItemError(
          `object needs more than ${MAX_PARTS} parts of ${run.partSize} bytes; raise --part-size-mb`,
          false,
          'too-many-parts',
        );
      }
      if (part.partNumber === 1 && part.last && !resume) {
        // Fits in one part: a single PutObject, with the body in memory.
        try {
          await refuseOnThrow(run.beforeComplete, part.data.length);
          const res = await client.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: part.data, ContentLength: part.data.length, ...writeParams(write) }),
            sendOpts,
          );
          return { etag: unquoteEtag(res.ETag ?? ''), bytes: part.data.length, method: 'put', parts: 1, resumedParts: 0, uploadId: null };
        } finally {
          part.release();
        }
      }
      if (!uploadId) {
        try {
          const created = await client.send(
            new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...writeParams(write), ...(crc32 ? { ChecksumAlgorithm: 'CRC32' } : {}) }),
            sendOpts,
          );
          if (!created.UploadId) throw new ItemError('CreateMultipartUpload returned no UploadId', true, 's3-no-upload-id');
          uploadId = created.UploadId;
        } catch (err) {
          part.release();
          throw err;
        }
        state = { uploadId, key, partSize: run.partSize, parts: [] };
        emitCheckpoint();
      }
      const id = uploadId;
      const task: Promise<void> = uploadPart(part, id)
        .catch(fail)
        .finally(() => {
          part.release();
          inflight.delete(task);
        });
      inflight.add(task);
    }
    await Promise.all(inflight);
    if (failure) throw (failure as { err: unknown }).err;
    if (!state || !uploadId) throw new ItemError('multipart upload finished without an upload id', false, 'internal');
    const expectedParts = state.parts.length;
    const bytes = resumeOffset(state);
    await refuseOnThrow(run.beforeComplete, bytes);
    const completeId = uploadId;
    const res = await client
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: completeId,
          MultipartUpload: { Parts: state.parts.map(completedPart) },
        }),
        sendOpts,
      )
      .catch((err: unknown) => {
        if (isAbortError(err)) throw err;
        const cause = toItemError(err, `CompleteMultipartUpload of ${key}`);
        throw new CompleteFailedError(cause, completeId, cause.code === 's3-no-such-upload' ? 'upload-gone' : cause.code === 's3-server-error' ? 'server-error' : 'other');
      });
    return {
      etag: unquoteEtag(res.ETag ?? ''),
      bytes,
      method: 'multipart',
      parts: expectedParts,
      resumedParts: resume?.parts.length ?? 0,
      uploadId,
    };
  } catch (err) {
    // The first failure is the root cause: a failed part (the reader then only saw the source we destroyed),
    // or this error (the parts still in flight then only see the abort below).
    failure ??= { err };
    const primary: unknown = failure.err;
    if (!controller.signal.aborted) {
      // Unless told to stop now, let the parts in flight finish: their checkpoints land (a resumed attempt
      // starts after them), and no request is still being processed server-side when the upload is aborted.
      // A part request cancelled mid-flight may still be stored after AbortMultipartUpload (S3 documents this:
      // abort can need repeating); abortIncompleteUploads at the end of a run catches those.
      await Promise.allSettled(inflight);
    }
    controller.abort();
    reader.stop();
    await Promise.allSettled(inflight);
    const refused = primary instanceof RefusedError;
    if (uploadId && (refused || run.keepUploadOnFailure !== true)) {
      await abortMultipartQuietly(client, bucket, key, uploadId);
    }
    const original = refused ? primary.original : primary;
    if (run.signal?.aborted || isAbortError(original)) throw run.signal?.aborted ? abortError(run.signal) : original;
    throw toItemError(original, `upload of ${key}`);
  } finally {
    run.signal?.removeEventListener('abort', onOuterAbort);
  }
}
