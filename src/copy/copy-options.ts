// What a copy child needs, as it crosses IPC in the init message (never through the environment, where
// secrets would show in /proc/<pid>/environ). Rebuilt on the child's side and checked by the same option
// rows as the supervisor's settings (config/option-value.ts): a malformed payload is refused, not guessed.
import type { JsonObject } from '../ipc/json.js';
import { bytesSettingValue, settingValue } from '../config/option-value.js';
import type { Settings } from '../config/settings.js';
import { s3OptionsFromJson, s3OptionsToJson } from '../target/s3/s3-options.js';
import type { S3TargetOptions } from '../target/s3/s3-options.js';
import type { DriveAuthOptions } from '../source/drive/auth.js';
import type { StaticCredentials } from '../target/s3/s3-client.js';
import { ConfigError } from '../errors.js';
import { defaultPartBuffers } from './default-part-buffers.js';

/** Settings a child takes as they are. */
type AsSet = Pick<Settings, 'driveRetries' | 'acknowledgeAbuse' | 'skipExisting'> & Partial<Pick<Settings, 'rangeStreams'>>;

export type CopyOptions = AsSet & {
  driveAuth: Omit<DriveAuthOptions, 'env'>;
  driveRootUrl: string | null;
  /** This child's share of --drive-tps. */
  driveTps: number;
  s3: S3TargetOptions;
  /** Only for the embedded s3rver (demo, tests); real runs use the AWS default credential chain. */
  s3Credentials: StaticCredentials | null;
  /** --resume-min-mb in bytes. */
  resumeMinBytes: number;
  /** --resume-reread-max-mb in bytes: the longest uploaded prefix a resume reads again to rebuild its digest. */
  resumeRereadMaxBytes: number;
  /** The plan's --child-concurrency. */
  concurrency: number;
  /** Part buffers this child may hold at once, across its items (--child-part-buffers). */
  partBuffers: number;
  /** --range-cutoff-mb in bytes: files at or above it are read as parallel ranges (copy/range-reader.ts). */
  rangeCutoffBytes?: number;
};

export function copyOptionsToJson(o: CopyOptions): JsonObject {
  const auth: JsonObject = {};
  for (const [k, v] of Object.entries(o.driveAuth)) if (typeof v === 'string') auth[k] = v;
  return {
    driveAuth: auth,
    driveRootUrl: o.driveRootUrl,
    driveTps: o.driveTps,
    driveRetries: o.driveRetries,
    acknowledgeAbuse: o.acknowledgeAbuse,
    s3: s3OptionsToJson(o.s3),
    // The two keys only: the SDK's credentials carry attribution objects ($source) that are not JSON strings.
    s3Credentials: o.s3Credentials ? { accessKeyId: o.s3Credentials.accessKeyId, secretAccessKey: o.s3Credentials.secretAccessKey } : null,
    resumeMinBytes: o.resumeMinBytes,
    resumeRereadMaxBytes: o.resumeRereadMaxBytes,
    skipExisting: o.skipExisting,
    concurrency: o.concurrency,
    partBuffers: o.partBuffers,
    rangeStreams: o.rangeStreams ?? 1,
    rangeCutoffBytes: o.rangeCutoffBytes ?? null,
  };
}

/** A nested object of the payload; absent, empty. */
function object(json: JsonObject, key: string): JsonObject {
  const v = json[key];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`invalid copy options: ${key} is not an object`);
  return v;
}

function strings(json: JsonObject, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(object(json, key))) {
    if (typeof v !== 'string') throw new ConfigError(`invalid copy options: ${key}.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

/** This child's share of --drive-tps: any positive rate (a share of the row's minimum is below it). */
function tpsShare(value: unknown): number {
  if (value === undefined || value === null) return 10; // the pace until the supervisor's first share arrives
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`invalid copy options: driveTps ${JSON.stringify(value)} is not a positive number`);
  }
  return value;
}

export function copyOptionsFromJson(json: JsonObject): CopyOptions {
  const creds = strings(json, 's3Credentials');
  const s3 = s3OptionsFromJson(object(json, 's3'));
  const concurrency = settingValue('childConcurrency', json.concurrency);
  const rangeStreams = settingValue('rangeStreams', json.rangeStreams);
  return {
    driveAuth: strings(json, 'driveAuth'),
    driveRootUrl: settingValue('driveRootUrl', json.driveRootUrl) ?? null,
    driveTps: tpsShare(json.driveTps),
    driveRetries: settingValue('driveRetries', json.driveRetries),
    acknowledgeAbuse: settingValue('acknowledgeAbuse', json.acknowledgeAbuse),
    s3,
    s3Credentials: creds.accessKeyId && creds.secretAccessKey ? { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey } : null,
    resumeMinBytes: bytesSettingValue('resumeMinMb', json.resumeMinBytes),
    resumeRereadMaxBytes: bytesSettingValue('resumeRereadMaxMb', json.resumeRereadMaxBytes),
    skipExisting: settingValue('skipExisting', json.skipExisting),
    concurrency,
    // The supervisor always sends it; absent, the same default as --child-part-buffers.
    partBuffers: settingValue('childPartBuffers', json.partBuffers) ?? defaultPartBuffers(concurrency, s3.uploadQueueSize, rangeStreams),
    rangeStreams,
    // Absent (an older supervisor): no file is read as ranges.
    rangeCutoffBytes: json.rangeCutoffBytes === undefined || json.rangeCutoffBytes === null ? Number.POSITIVE_INFINITY : bytesSettingValue('rangeCutoffMb', json.rangeCutoffBytes),
  };
}
