// What a copy child needs, as it crosses IPC in the init message (never through the environment, where
// secrets would show in /proc/<pid>/environ). Rebuilt and re-validated on the child's side.
import type { JsonObject } from '../ipc/json.js';
import { s3OptionsFromJson, s3OptionsToJson } from '../target/s3/s3-options.js';
import type { S3TargetOptions } from '../target/s3/s3-options.js';
import type { DriveAuthOptions } from '../source/drive/auth.js';
import type { StaticCredentials } from '../target/s3/s3-client.js';
import { defaultPartBuffers } from './default-part-buffers.js';

export interface CopyOptions {
  driveAuth: Omit<DriveAuthOptions, 'env'>;
  driveRootUrl: string | null;
  /** This child's share of --drive-tps. */
  driveTps: number;
  driveRetries: number;
  acknowledgeAbuse: boolean;
  s3: S3TargetOptions;
  /** Only for the embedded s3rver (demo, tests); real runs use the AWS default credential chain. */
  s3Credentials: StaticCredentials | null;
  resumeMinBytes: number;
  /** The longest uploaded prefix a resume reads again to rebuild its digest; past it the file starts afresh. */
  resumeRereadMaxBytes: number;
  skipExisting: boolean;
  concurrency: number;
  /** Part buffers this child may hold at once, across its items (--child-part-buffers). */
  partBuffers: number;
  /** --range-streams: Range requests one large file is read as at once (copy/range-reader.ts). */
  rangeStreams?: number;
  /** --range-cutoff-mb in bytes: files at or above it are read as parallel ranges. */
  rangeCutoffBytes?: number;
}

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
    s3Credentials: o.s3Credentials ? { ...o.s3Credentials } : null,
    resumeMinBytes: o.resumeMinBytes,
    resumeRereadMaxBytes: o.resumeRereadMaxBytes,
    skipExisting: o.skipExisting,
    concurrency: o.concurrency,
    partBuffers: o.partBuffers,
    rangeStreams: o.rangeStreams ?? 1,
    rangeCutoffBytes: o.rangeCutoffBytes ?? null,
  };
}

function obj(v: unknown): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}

export function copyOptionsFromJson(json: JsonObject): CopyOptions {
  const auth = obj(json.driveAuth);
  const driveAuth: Record<string, string> = {};
  for (const [k, v] of Object.entries(auth)) if (typeof v === 'string') driveAuth[k] = v;
  const creds = obj(json.s3Credentials);
  const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : d);
  const s3 = s3OptionsFromJson(obj(json.s3));
  const concurrency = num(json.concurrency, 1);
  const rangeStreams = num(json.rangeStreams, 1);
  return {
    driveAuth: driveAuth,
    driveRootUrl: typeof json.driveRootUrl === 'string' ? json.driveRootUrl : null,
    driveTps: num(json.driveTps, 10),
    driveRetries: num(json.driveRetries, 8),
    acknowledgeAbuse: json.acknowledgeAbuse === true,
    s3,
    s3Credentials:
      typeof creds.accessKeyId === 'string' && typeof creds.secretAccessKey === 'string'
        ? { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }
        : null,
    resumeMinBytes: num(json.resumeMinBytes, 64 * 1024 * 1024),
    resumeRereadMaxBytes: num(json.resumeRereadMaxBytes, 1024 * 1024 * 1024),
    skipExisting: json.skipExisting === true,
    concurrency,
    // The supervisor always sends it; absent, the same default as --child-part-buffers.
    partBuffers: num(json.partBuffers, defaultPartBuffers(concurrency, s3.uploadQueueSize, rangeStreams)),
    rangeStreams,
    // Absent (an older supervisor): no file is read as ranges.
    rangeCutoffBytes: num(json.rangeCutoffBytes, Number.POSITIVE_INFINITY),
  };
}
