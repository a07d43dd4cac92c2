// Settings → the Drive source and the S3 target, as both the supervisor (listing, preflight, verify) and
// the copy children (through CopyOptions) use them.
import type { Settings } from '../config/settings.js';
import { createDriveAuth } from '../source/drive/auth.js';
import type { DriveAuthOptions } from '../source/drive/auth.js';
import { createDriveClient } from '../source/drive/drive-client.js';
import type { DriveClient } from '../source/drive/drive-client.js';
import { s3OptionsOf } from '../target/s3/s3-options.js';
import type { S3TargetOptions } from '../target/s3/s3-options.js';
import type { StaticCredentials } from '../target/s3/s3-client.js';
import type { CopyOptions } from '../copy/copy-options.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';
import { childPartBuffers } from './memory-setup.js';

export interface Extras {
  /** The embedded s3rver's static credentials (demo, tests); real runs use the AWS default chain. */
  s3Credentials?: StaticCredentials;
  /** The fake Drive's token endpoint for refresh-token tests. */
  tokenUrl?: string;
}

export function driveAuthOptions(s: Settings, extras: Extras = {}): Omit<DriveAuthOptions, 'env'> {
  const o: Omit<DriveAuthOptions, 'env'> = {};
  if (s.driveAccessToken) o.accessToken = s.driveAccessToken;
  if (s.oauthClientId) o.oauthClientId = s.oauthClientId;
  if (s.oauthClientSecret) o.oauthClientSecret = s.oauthClientSecret;
  if (s.oauthRefreshToken) o.oauthRefreshToken = s.oauthRefreshToken;
  if (s.impersonate) o.impersonate = s.impersonate;
  if (s.googleCredentials) o.credentialsFile = s.googleCredentials;
  if (extras.tokenUrl) o.tokenUrl = extras.tokenUrl;
  return o;
}

export function driveClientFor(s: Settings, extras: Extras = {}): DriveClient {
  const auth = createDriveAuth({ ...driveAuthOptions(s, extras), env: process.env });
  return createDriveClient({ auth, ...(s.driveRootUrl ? { rootUrl: s.driveRootUrl } : {}) });
}

export function s3TargetFor(s: Settings): S3TargetOptions {
  return s3OptionsOf(s, process.env);
}

/** A child's pace until its first share of the shared pace arrives (it comes with ready: source/drive/shared-pace.ts). */
export function driveTpsShare(s: Settings, plan: MemoryPlan): number {
  return s.driveTps / (plan.workers + 1);
}

export function copyOptionsFor(s: Settings, plan: MemoryPlan, target: S3TargetOptions, extras: Extras = {}): CopyOptions {
  return {
    driveAuth: driveAuthOptions(s, extras),
    driveRootUrl: s.driveRootUrl ?? null,
    driveTps: driveTpsShare(s, plan),
    driveRetries: s.driveRetries,
    acknowledgeAbuse: s.acknowledgeAbuse,
    s3: target,
    s3Credentials: extras.s3Credentials ?? null,
    resumeMinBytes: s.resumeMinMb * 1024 * 1024,
    resumeRereadMaxBytes: s.resumeRereadMaxMb * 1024 * 1024,
    skipExisting: s.skipExisting,
    concurrency: plan.childConcurrency,
    partBuffers: childPartBuffers(s),
    rangeStreams: s.rangeStreams,
    rangeCutoffBytes: s.rangeCutoffMb * 1024 * 1024,
  };
}
