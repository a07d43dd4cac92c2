// The S3 target's settings, validated once. CLI flags and environment variables go through the same checks,
// and every message names the flag (and the env variable when there is one) and the bad value.
// Credentials are deliberately absent: the SDK's default chain (env, IRSA web identity, SSO, profiles, IMDS)
// finds them, and never passing them explicitly keeps them out of options that cross IPC or reach logs.
import { StorageClass } from '@aws-sdk/client-s3';
import { ConfigError } from '../../errors.js';
import { checkRules } from '../../config/option-rules.js';
import { settingValue } from '../../config/option-value.js';
import type { Given } from '../../config/option-value.js';
import type { Settings } from '../../config/settings.js';
import type { Raw } from '../../config/settings-of.js';
import type { JsonObject } from '../../ipc/json.js';
import { envName, flagNamed } from '../../config/option-specs.js';

/** Each S3 option and the setting (a row of OPTION_SPECS) it is: its type, default and checks are the row's. */
const S3_SETTINGS = {
  bucket: 's3Bucket',
  prefix: 's3Prefix',
  region: 's3Region',
  endpoint: 's3Endpoint',
  forcePathStyle: 's3ForcePathStyle',
  storageClass: 's3StorageClass',
  sse: 's3Sse',
  kmsKeyId: 's3KmsKeyId',
  checksum: 's3Checksum',
  signPayload: 's3SignPayload',
  partSizeMb: 'partSizeMb',
  /** Parts of one object held in memory / in flight at once. */
  uploadQueueSize: 'uploadQueueSize',
} as const satisfies Record<string, keyof Settings>;
type S3Key = keyof typeof S3_SETTINGS;
type S3Setting<K extends S3Key> = Settings[(typeof S3_SETTINGS)[K]];

export type SseMode = NonNullable<Settings['s3Sse']>;

/**
 * 'when-supported': the SDK's default, a CRC32 checksum on every upload (trailers for streams, headers for
 * buffers). 'when-required': only where the API demands one; S3-compatible stores that reject the SDK's
 * checksum headers/trailers (Backblaze B2, Cloudflare R2, older Ceph and MinIO, s3rver, ...) need this.
 */
export type ChecksumMode = Settings['s3Checksum'];

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
export type SignPayloadMode = Settings['s3SignPayload'];

/** An unset setting is null here (it crosses IPC as JSON, which has no undefined). */
type Resolved<T> = undefined extends T ? Exclude<T, undefined> | null : T;

/** The S3 settings as the target uses them: always a bucket and a region; the storage class one of the SDK's. */
export type S3TargetOptions = Omit<{ [K in S3Key]: Resolved<S3Setting<K>> }, 'bucket' | 'prefix' | 'region' | 'storageClass'> & {
  bucket: string;
  /** Key prefix without leading or trailing '/'; '' for the bucket root. */
  prefix: string;
  region: string;
  storageClass: StorageClass | null;
};

/** Raw values as they come from flags, code or a config file; everything optional, validated by resolveS3Options. */
export type S3OptionsInput = { [K in S3Key]?: Raw<S3Setting<K>> | undefined };

const STORAGE_CLASSES: readonly string[] = Object.values(StorageClass);

/** A value given: strings trimmed, and empty, null or undefined as not given (then the row's default). */
function given(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** Validate and complete the S3 settings. Env fallbacks are the rows': AWS_REGION, AWS_ENDPOINT_URL_S3, …. */
export function resolveS3Options(input: S3OptionsInput, env: NodeJS.ProcessEnv = process.env): S3TargetOptions {
  return resolveS3(input, env);
}

/** The S3 options of the resolved settings, each read from the setting it is (S3_SETTINGS). */
export function s3OptionsOf(settings: Settings, env: NodeJS.ProcessEnv = process.env): S3TargetOptions {
  const input: { [K in S3Key]?: unknown } = {};
  for (const [option, key] of Object.entries(S3_SETTINGS)) input[option as S3Key] = settings[key];
  return resolveS3(input, env);
}

function resolveS3(input: { [K in S3Key]?: unknown }, env: NodeJS.ProcessEnv): S3TargetOptions {
  const setting = <K extends S3Key>(k: K): Given<(typeof S3_SETTINGS)[K]> => settingValue(S3_SETTINGS[k], given(input[k]), env);
  const bucket = setting('bucket');
  if (!bucket) throw new ConfigError(`${flagNamed('s3-bucket')} is required`);
  if (bucket.includes('/') || bucket.length > 255) {
    throw new ConfigError(`${flagNamed('s3-bucket')} must be a bucket name (no '/', at most 255 characters), got ${JSON.stringify(bucket)}`);
  }
  const endpoint = setting('endpoint') ?? null;
  // S3-compatible stores usually ignore the region but SigV4 still needs one; us-east-1 is their convention.
  const region = setting('region') ?? (endpoint ? 'us-east-1' : undefined);
  if (!region) throw new ConfigError(`--s3-region (${envName('s3-region')}, or AWS_REGION) is required when no --s3-endpoint is set`);

  const storageClass = setting('storageClass');
  if (storageClass !== undefined && !STORAGE_CLASSES.includes(storageClass)) {
    throw new ConfigError(`--s3-storage-class must be one of ${STORAGE_CLASSES.join(', ')}, got ${JSON.stringify(storageClass)}`);
  }
  const sse = setting('sse') ?? null;
  const kmsKeyId = setting('kmsKeyId') ?? null;
  checkRules({ s3Sse: sse ?? undefined, s3KmsKeyId: kmsKeyId ?? undefined });
  return {
    bucket,
    prefix: setting('prefix').replace(/^\/+/, '').replace(/\/+$/, ''),
    region,
    endpoint,
    forcePathStyle: setting('forcePathStyle'),
    storageClass: (storageClass ?? null) as StorageClass | null,
    sse,
    kmsKeyId,
    checksum: setting('checksum') ?? defaultChecksumMode(endpoint),
    signPayload: setting('signPayload'),
    partSizeMb: setting('partSizeMb'),
    uploadQueueSize: setting('uploadQueueSize'),
  };
}

/** The options as a JSON object (processorOptions cross IPC as JSON). Contains no secrets by construction. */
export function s3OptionsToJson(opts: S3TargetOptions): JsonObject {
  return { ...opts };
}

/** Rebuild options received over IPC, checked by the same rows (the child trusts nothing it did not check). */
export function s3OptionsFromJson(json: JsonObject): S3TargetOptions {
  return resolveS3(json, {});
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
