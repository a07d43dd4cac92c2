// The S3 target's settings, validated once. CLI flags and environment variables go through the same checks,
// and every message names the flag (and the env variable when there is one) and the bad value.
// Credentials are deliberately absent: the SDK's default chain (env, IRSA web identity, SSO, profiles, IMDS)
// finds them, and never passing them explicitly keeps them out of options that cross IPC or reach logs.
import { StorageClass } from '@aws-sdk/client-s3';
import { ConfigError } from '../../errors.js';
import type { JsonObject } from '../../ipc/json.js';
import { envName } from '../../config/option-specs.js';

export const SSE_MODES = ['AES256', 'aws:kms'] as const;
export type SseMode = (typeof SSE_MODES)[number];

/**
 * 'when-supported': the SDK's default, a CRC32 checksum on every upload (trailers for streams, headers for
 * buffers). 'when-required': only where the API demands one; S3-compatible stores that reject the SDK's
 * checksum headers/trailers (Backblaze B2, Cloudflare R2, older Ceph and MinIO, s3rver, ...) need this.
 */
export const CHECKSUM_MODES = ['when-supported', 'when-required'] as const;
export type ChecksumMode = (typeof CHECKSUM_MODES)[number];

/**
 * The checksum mode when --s3-checksum is not given: AWS gets the SDK's CRC32s; a custom endpoint is most
 * likely a store that refuses them since aws-sdk-js-v3 3.729 sends them by default (B2, R2, older Ceph:
 * https://github.com/aws/aws-sdk-js-v3/issues/6810), so it gets only the checksums the API requires.
 */
export function defaultChecksumMode(endpoint: string | null | undefined): ChecksumMode {
  return endpoint ? 'when-required' : 'when-supported';
}

/**
 * Whether SigV4 signs the body of PutObject/UploadPart (x-amz-content-sha256 = its SHA-256) or sends
 * UNSIGNED-PAYLOAD. Signing costs one SHA-256 pass over every byte (~0.6 CPU s per GiB here, a tenth of a
 * copy child's CPU) and buys integrity the transfer already has over https: TLS authenticates every
 * record, and the object is only created after our digest matched Drive's checksum. 'auto' signs only over
 * plain http, where nothing else protects the body in transit (boto3 and the AWS CLI make the same choice).
 */
export const SIGN_PAYLOAD_MODES = ['auto', 'always', 'never'] as const;
export type SignPayloadMode = (typeof SIGN_PAYLOAD_MODES)[number];

/** S3 multipart limits: https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html */
export const MIN_PART_SIZE_MB = 5;
export const MAX_PART_SIZE_MB = 5 * 1024;
export const MAX_UPLOAD_QUEUE_SIZE = 64;

export type S3TargetOptions = {
  bucket: string;
  /** Key prefix without leading or trailing '/'; '' for the bucket root. */
  prefix: string;
  region: string;
  /** Custom endpoint URL (S3-compatible stores, tests); null for AWS. */
  endpoint: string | null;
  forcePathStyle: boolean;
  storageClass: StorageClass | null;
  sse: SseMode | null;
  kmsKeyId: string | null;
  checksum: ChecksumMode;
  signPayload: SignPayloadMode;
  partSizeMb: number;
  /** Parts of one object held in memory / in flight at once. */
  uploadQueueSize: number;
};

/** Raw values as they come from flags or a config file; everything optional, validated by resolveS3Options. */
export type S3OptionsInput = {
  bucket?: string | undefined;
  prefix?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  storageClass?: string | undefined;
  sse?: string | undefined;
  kmsKeyId?: string | undefined;
  checksum?: string | undefined;
  signPayload?: string | undefined;
  partSizeMb?: number | undefined;
  uploadQueueSize?: number | undefined;
};

export const S3_DEFAULTS = {
  prefix: '',
  signPayload: 'auto' as SignPayloadMode,
  // S3's minimum part, as rclone's and lib-storage's defaults. Every held part buffer is a part: on the
  // benchmark's mixed set at 4 workers (children with the malloc settings of supervisor/spawn-child.ts) the tree peaked
  // at 675 MB with 8 MiB parts and 566 MB with 5 MiB parts and 4 buffers a child, at the same throughput
  // within the machine's noise. Bigger parts save requests ($0.005 per 1,000 PUTs: ~$0.4 per TiB between
  // the two) and suit a high-latency link; --part-size-mb raises them.
  partSizeMb: 5,
  uploadQueueSize: 2,
};

const STORAGE_CLASSES: readonly string[] = Object.values(StorageClass);

/** A flag as messages name it: with its environment twin, the two ways to set it. */
function named(flag: string): string {
  return `--${flag} (${envName(flag)})`;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function intInRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** The endpoint without user info, query or fragment: safe to print in an error line. */
export function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '(unparseable URL)';
  }
}

function validateEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`--s3-endpoint (AWS_ENDPOINT_URL_S3) must be an http(s) URL, got an unparseable value`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`--s3-endpoint (AWS_ENDPOINT_URL_S3) must be an http(s) URL, got protocol ${url.protocol}`);
  }
  if (url.username || url.password) {
    // Credentials in the URL would end up in logs and error messages; they belong in the credential chain.
    throw new ConfigError('--s3-endpoint (AWS_ENDPOINT_URL_S3) must not contain credentials; use the AWS credential chain');
  }
  return raw;
}

/** Validate and complete the S3 settings. Env fallbacks: AWS_REGION / AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3. */
export function resolveS3Options(input: S3OptionsInput, env: NodeJS.ProcessEnv = process.env): S3TargetOptions {
  const bucket = nonEmpty(input.bucket);
  if (!bucket) throw new ConfigError(`${named('s3-bucket')} is required`);
  if (bucket.includes('/') || bucket.length > 255) {
    throw new ConfigError(`${named('s3-bucket')} must be a bucket name (no '/', at most 255 characters), got ${JSON.stringify(bucket)}`);
  }

  const prefix = (input.prefix ?? S3_DEFAULTS.prefix).trim().replace(/^\/+/, '').replace(/\/+$/, '');

  const endpointRaw = nonEmpty(input.endpoint) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3);
  const endpoint = endpointRaw === undefined ? null : validateEndpoint(endpointRaw);

  // S3-compatible stores usually ignore the region but SigV4 still needs one; us-east-1 is their convention.
  const region = nonEmpty(input.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint ? 'us-east-1' : undefined);
  if (!region) throw new ConfigError(`--s3-region (${envName('s3-region')}, or AWS_REGION) is required when no --s3-endpoint is set`);

  const storageClassRaw = nonEmpty(input.storageClass);
  if (storageClassRaw !== undefined && !STORAGE_CLASSES.includes(storageClassRaw)) {
    throw new ConfigError(`--s3-storage-class must be one of ${STORAGE_CLASSES.join(', ')}, got ${JSON.stringify(storageClassRaw)}`);
  }

  const sseRaw = nonEmpty(input.sse);
  if (sseRaw !== undefined && !(SSE_MODES as readonly string[]).includes(sseRaw)) {
    throw new ConfigError(`--s3-sse must be one of ${SSE_MODES.join(', ')}, got ${JSON.stringify(sseRaw)}`);
  }
  const sse = (sseRaw ?? null) as SseMode | null;
  const kmsKeyId = nonEmpty(input.kmsKeyId) ?? null;
  if (kmsKeyId !== null && sse !== 'aws:kms') throw new ConfigError('--s3-kms-key-id requires --s3-sse aws:kms');

  const checksumRaw = nonEmpty(input.checksum) ?? defaultChecksumMode(endpoint);
  if (!(CHECKSUM_MODES as readonly string[]).includes(checksumRaw)) {
    throw new ConfigError(`--s3-checksum must be one of ${CHECKSUM_MODES.join(', ')}, got ${JSON.stringify(checksumRaw)}`);
  }
  const signPayloadRaw = nonEmpty(input.signPayload) ?? S3_DEFAULTS.signPayload;
  if (!(SIGN_PAYLOAD_MODES as readonly string[]).includes(signPayloadRaw)) {
    throw new ConfigError(`--s3-sign-payload must be one of ${SIGN_PAYLOAD_MODES.join(', ')}, got ${JSON.stringify(signPayloadRaw)}`);
  }

  return {
    bucket,
    prefix,
    region,
    endpoint,
    forcePathStyle: input.forcePathStyle ?? false,
    storageClass: (storageClassRaw ?? null) as StorageClass | null,
    sse,
    kmsKeyId,
    checksum: checksumRaw as ChecksumMode,
    signPayload: signPayloadRaw as SignPayloadMode,
    partSizeMb: intInRange('--part-size-mb', input.partSizeMb ?? S3_DEFAULTS.partSizeMb, MIN_PART_SIZE_MB, MAX_PART_SIZE_MB),
    uploadQueueSize: intInRange('--upload-queue-size', input.uploadQueueSize ?? S3_DEFAULTS.uploadQueueSize, 1, MAX_UPLOAD_QUEUE_SIZE),
  };
}

/** The options as a JSON object (processorOptions cross IPC as JSON). Contains no secrets by construction. */
export function s3OptionsToJson(opts: S3TargetOptions): JsonObject {
  return { ...opts };
}

/** Rebuild options received over IPC, re-validating them (the child trusts nothing it did not check). */
export function s3OptionsFromJson(json: JsonObject): S3TargetOptions {
  const str = (k: string): string | undefined => (typeof json[k] === 'string' ? json[k] : undefined);
  const num = (k: string): number | undefined => (typeof json[k] === 'number' ? json[k] : undefined);
  const bool = (k: string): boolean | undefined => (typeof json[k] === 'boolean' ? json[k] : undefined);
  return resolveS3Options(
    {
      bucket: str('bucket'),
      prefix: str('prefix'),
      region: str('region'),
      endpoint: str('endpoint'),
      forcePathStyle: bool('forcePathStyle'),
      storageClass: str('storageClass'),
      sse: str('sse'),
      kmsKeyId: str('kmsKeyId'),
      checksum: str('checksum'),
      signPayload: str('signPayload'),
      partSizeMb: num('partSizeMb'),
      uploadQueueSize: num('uploadQueueSize'),
    },
    {},
  );
}

/** Whether part bodies are signed: 'auto' resolves by the endpoint's scheme (AWS itself is https). */
export function signsPayload(opts: Pick<S3TargetOptions, 'signPayload' | 'endpoint'>): boolean {
  if (opts.signPayload !== 'auto') return opts.signPayload === 'always';
  return opts.endpoint !== null && new URL(opts.endpoint).protocol === 'http:';
}

/** Join the configured prefix and a relative key. */
export function keyUnderPrefix(prefix: string, relative: string): string {
  return prefix ? `${prefix}/${relative}` : relative;
}
