// Before any child starts: can we reach the endpoint, see the bucket, and write and delete under the prefix?
// Every failure is ONE line naming the setting to fix. Lines are built from our own words plus the error's
// code and HTTP status only: SDK messages are left out, so no credential, token or signed URL can leak.
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, HeadBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { PreflightError } from '../../errors.js';
import type { S3TargetOptions } from './s3-options.js';
import { describeUrl } from '../../config/option-value.js';
import { keyUnderPrefix } from './s3-options.js';
import { s3ErrorDetail } from './s3-errors.js';

export const PREFLIGHT_MARKER = '.drive-s3-supervisor-preflight-';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'TimeoutError', 'AbortError']);
const BAD_CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'InvalidClientTokenId', 'TokenRefreshRequired']);

/** 'bucket': HeadBucket only; 'write': the marker write and delete only (a run that writes nothing skips it). */
export type PreflightSteps = 'all' | 'bucket' | 'write';

export interface PreflightResult {
  markerKey: string;
}

function where(opts: S3TargetOptions): string {
  return opts.endpoint ? `endpoint ${describeUrl(opts.endpoint)}` : `region ${opts.region}`;
}

/** Map a failed step to the one line the operator needs. */
export function preflightMessage(err: unknown, step: 'head-bucket' | 'write-marker' | 'delete-marker', opts: S3TargetOptions): string {
  const { name, status } = s3ErrorDetail(err);
  const code = status === null ? name : `${name}, HTTP ${status}`;
  const bucket = JSON.stringify(opts.bucket);
  const prefix = opts.prefix ? ` under prefix ${JSON.stringify(opts.prefix)}` : '';
  if (UNREACHABLE.has(name)) {
    const setting = opts.endpoint ? '--s3-endpoint' : '--s3-region / --s3-endpoint';
    return `cannot reach S3 at ${where(opts)} (${code}): check ${setting}`;
  }
  if (name === 'CredentialsProviderError') {
    return 'no AWS credentials found (env AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, IRSA web identity, or a profile): check the credentials';
  }
  if (BAD_CREDENTIALS.has(name)) return `S3 rejected the credentials (${code}): check the AWS credentials`;
  if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    return `bucket ${bucket} is not in ${where(opts)} (${code}): check --s3-region`;
  }
  if (name === 'NoSuchBucket' || name === 'NotFound' || status === 404) {
    return `bucket ${bucket} does not exist at ${where(opts)} (${code}): check --s3-bucket`;
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || status === 403) {
    const action = step === 'head-bucket' ? 'see' : step === 'write-marker' ? 'write to' : 'delete from';
    return `access denied: cannot ${action} bucket ${bucket}${step === 'head-bucket' ? '' : prefix} (${code}): check --s3-bucket / --s3-prefix and the credentials' permissions`;
  }
  if (name.startsWith('KMS')) return `S3 could not use the KMS key (${code}): check --s3-sse / --s3-kms-key-id`;
  if (name === 'InvalidStorageClass') return `S3 rejected the storage class (${code}): check --s3-storage-class`;
  if (step === 'delete-marker') return `cannot delete the preflight marker in bucket ${bucket}${prefix} (${code}): check the credentials' permissions`;
  if (step === 'write-marker') return `cannot write to bucket ${bucket}${prefix} (${code}): check --s3-bucket / --s3-prefix / --s3-sse`;
  return `S3 check of bucket ${bucket} at ${where(opts)} failed (${code}): check --s3-bucket / --s3-endpoint and the credentials`;
}

/**
 * A HEAD response has no body, so a 403 does not say whether the key is unknown, the signature wrong or the
 * policy missing. Ask again with a GET (ListObjectsV2, one key at most) whose error body names the cause.
 */
async function explainHeadFailure(client: S3Client, opts: S3TargetOptions, err: unknown, abortSignal: AbortSignal): Promise<unknown> {
  const { name, status } = s3ErrorDetail(err);
  if (status !== 403 && status !== 400) return err;
  if (name !== 'Unknown' && name !== 'Forbidden' && name !== 'BadRequest' && name !== String(status)) return err;
  try {
    await client.send(new ListObjectsV2Command({ Bucket: opts.bucket, MaxKeys: 1, Prefix: opts.prefix || undefined }), { abortSignal });
    return err;
  } catch (detailed) {
    return detailed;
  }
}

/**
 * HeadBucket, then write and delete `<prefix>/.drive-s3-supervisor-preflight-<random>` with the same
 * storage class and encryption settings the copy will use. Throws PreflightError.
 */
export async function preflightS3(client: S3Client, opts: S3TargetOptions, timeoutMs = 30_000, steps: PreflightSteps = 'all'): Promise<PreflightResult> {
  const abortSignal = AbortSignal.timeout(timeoutMs);
  const markerKey = keyUnderPrefix(opts.prefix, `${PREFLIGHT_MARKER}${randomBytes(8).toString('hex')}`);
  let step: 'head-bucket' | 'write-marker' | 'delete-marker' = 'head-bucket';
  try {
    if (steps !== 'write') {
      try {
        await client.send(new HeadBucketCommand({ Bucket: opts.bucket }), { abortSignal });
      } catch (err) {
        throw await explainHeadFailure(client, opts, err, abortSignal);
      }
    }
    if (steps === 'bucket') return { markerKey };
    step = 'write-marker';
    await client.send(
      new PutObjectCommand({
        Bucket: opts.bucket,
        Key: markerKey,
        Body: 'drive-s3-supervisor preflight\n',
        ContentType: 'text/plain',
        ...(opts.storageClass ? { StorageClass: opts.storageClass } : {}),
        ...(opts.sse ? { ServerSideEncryption: opts.sse } : {}),
        ...(opts.kmsKeyId ? { SSEKMSKeyId: opts.kmsKeyId } : {}),
      }),
      { abortSignal },
    );
    step = 'delete-marker';
    await client.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: markerKey }), { abortSignal });
    return { markerKey };
  } catch (err) {
    throw new PreflightError(preflightMessage(abortSignal.aborted ? { name: 'TimeoutError' } : err, step, opts));
  }
}
