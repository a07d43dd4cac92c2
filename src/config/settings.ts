// Turns flags and their environment twins into typed settings, validated once, up front. A bad value is
// refused with one line naming the flag, its env twin and the value (exit 2); a flag wins over its twin.
import { ConfigError } from '../errors.js';
import { registerSecret } from '../observability/redact.js';
import { defaultChecksumMode } from '../target/s3/s3-options.js';
import { OPTION_SPECS, camel, envName } from './option-specs.js';
import { checkOrgSettings } from './org-settings.js';
import type { OptionSpec } from './option-specs.js';

export interface Settings {
  memoryBudgetMb?: number;
  workers?: number;
  childConcurrency: number;
  childPartBuffers?: number;
  childHeapMb?: number;
  childRssSoftMb?: number;
  childRssHardMb?: number;
  childBaselineMb: number;
  supervisorReserveMb: number;
  budgetPausePct: number;
  budgetRecyclePct: number;
  rssPollMs: number;
  maxItemsPerChild: number;
  batchFiles: number;
  batchMb: number;
  queueLength: number;
  maxAttempts: number;
  shutdownGraceS: number;
  startupTimeoutS: number;
  crashLoopLimit: number;
  outageTimeoutS: number;
  recycleStaggerMs: number;
  driveFolderId: string;
  sharedDriveId?: string;
  driveRootUrl?: string;
  driveAccessToken?: string;
  googleCredentials?: string;
  impersonate?: string;
  allUsers: boolean;
  users?: string[];
  excludeUsers?: string[];
  allSharedDrives: boolean;
  adminSubject?: string;
  adminRootUrl?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  oauthRefreshToken?: string;
  exportFormats: string[];
  shortcuts: 'skip' | 'follow';
  acknowledgeAbuse: boolean;
  driveTps: number;
  driveRetries: number;
  s3Bucket?: string;
  s3Prefix: string;
  manifestKey: string;
  s3Region?: string;
  s3Endpoint?: string;
  s3ForcePathStyle: boolean;
  s3StorageClass?: string;
  s3Sse?: 'AES256' | 'aws:kms';
  s3KmsKeyId?: string;
  s3Checksum: 'when-supported' | 'when-required';
  s3SignPayload: 'auto' | 'always' | 'never';
  partSizeMb: number;
  uploadQueueSize: number;
  state: string;
  resumeMinMb: number;
  resumeRereadMaxMb: number;
  rangeStreams: number;
  rangeCutoffMb: number;
  maxRunsPerFile: number;
  skipExisting: boolean;
  fresh: boolean;
  full: boolean;
  deletes: 'keep' | 'delete';
  watch: boolean;
  watchIntervalS: number;
  shard?: string;
  logLevel: string;
  logPretty: boolean;
  progress: 'auto' | 'tty' | 'log' | 'off';
  progressIntervalS: number;
  metricsPort: number;
  metricsHost: string;
  report?: string;
  dryRun: boolean;
  deep: boolean;
  demoFiles: number;
  demoLargeCount: number;
  demoLargeMb: number;
}

type Value = number | string | boolean | string[];

function refuse(spec: OptionSpec, raw: unknown, why: string): never {
  const shown = spec.secret ? '[REDACTED]' : JSON.stringify(raw);
  throw new ConfigError(`invalid --${spec.flag} (${envName(spec.flag)}): ${shown} ${why}`);
}

function parseBool(spec: OptionSpec, raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
  return refuse(spec, raw, 'is not a boolean (true/false)');
}

function parseNumber(spec: OptionSpec, raw: unknown): number {
  const s = String(raw).trim();
  const n = s === '' ? NaN : Number(s);
  if (!Number.isFinite(n)) refuse(spec, raw, 'is not a number');
  if (spec.kind === 'int' && !Number.isInteger(n)) refuse(spec, raw, 'is not a whole number');
  if (spec.min !== undefined && n < spec.min) refuse(spec, raw, `is below the minimum ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) refuse(spec, raw, `is above the maximum ${spec.max}`);
  return n;
}

function parseValue(spec: OptionSpec, raw: unknown): Value {
  if (Array.isArray(raw)) raw = raw.at(-1); // a flag given twice: the last wins
  switch (spec.kind) {
    case 'bool':
      return parseBool(spec, raw);
    case 'int':
    case 'number':
      return parseNumber(spec, raw);
    case 'choice': {
      const s = String(raw);
      if (!spec.choices?.includes(s)) refuse(spec, raw, `is not one of ${spec.choices?.join(', ') ?? ''}`);
      return s;
    }
    case 'list': {
      const list = String(raw).split(',').map((x) => x.trim()).filter((x) => x.length > 0);
      if (list.length === 0) refuse(spec, raw, 'is an empty list');
      return list;
    }
    case 'string': {
      const s = String(raw);
      if (s.trim() === '' && spec.default === undefined) refuse(spec, raw, 'is empty');
      return s;
    }
  }
}

/**
 * Resolve every setting. `flags` holds what was given on the command line (camelCase keys, values as
 * typed); `env` is the environment. Unknown SUPERVISOR_* variables are refused: a typo in a ConfigMap
 * must not silently fall back to a default.
 */
export function resolveSettings(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Settings {
  const known = new Set(OPTION_SPECS.map((s) => envName(s.flag)));
  for (const name of Object.keys(env)) {
    if (name.startsWith('SUPERVISOR_') && !known.has(name)) {
      throw new ConfigError(`unknown setting ${name}: no such flag (see --help for the list)`);
    }
  }
  const out: Record<string, Value> = {};
  for (const spec of OPTION_SPECS) {
    const key = camel(spec.flag);
    let raw: unknown = flags[key];
    if (raw === undefined) raw = env[envName(spec.flag)];
    for (const fallback of spec.envFallbacks ?? []) if (raw === undefined || raw === '') raw = env[fallback];
    if (raw === undefined) {
      if (spec.default !== undefined) out[key] = spec.default;
      continue;
    }
    const value = parseValue(spec, raw);
    if (spec.secret && typeof value === 'string') registerSecret(value);
    out[key] = value;
  }
  // A default that depends on another setting (option-specs.ts names it in defaultLabel).
  out.s3Checksum ??= defaultChecksumMode(out.s3Endpoint as string | undefined);
  const settings = out as unknown as Settings;
  checkCoherence(settings);
  return settings;
}

function checkCoherence(s: Settings): void {
  if (s.s3KmsKeyId && s.s3Sse !== 'aws:kms') {
    throw new ConfigError('--s3-kms-key-id (SUPERVISOR_S3_KMS_KEY_ID) needs --s3-sse aws:kms');
  }
  if ((s.oauthClientId || s.oauthClientSecret || s.oauthRefreshToken) && !(s.oauthClientId && s.oauthClientSecret && s.oauthRefreshToken)) {
    throw new ConfigError('OAuth needs all three: --oauth-client-id, --oauth-client-secret and --oauth-refresh-token (SUPERVISOR_OAUTH_*)');
  }
  if (s.childRssSoftMb !== undefined && s.childRssHardMb !== undefined && s.childRssSoftMb >= s.childRssHardMb) {
    throw new ConfigError(
      `invalid --child-rss-soft-mb (SUPERVISOR_CHILD_RSS_SOFT_MB): ${s.childRssSoftMb} must be below --child-rss-hard-mb ${s.childRssHardMb}`,
    );
  }
  if (s.budgetPausePct > s.budgetRecyclePct) {
    throw new ConfigError(`invalid --budget-pause-pct (SUPERVISOR_BUDGET_PAUSE_PCT): ${s.budgetPausePct} must not exceed --budget-recycle-pct ${s.budgetRecyclePct}`);
  }
  if (s.driveRootUrl !== undefined && !/^https?:\/\//.test(s.driveRootUrl)) {
    throw new ConfigError(`invalid --drive-root-url (SUPERVISOR_DRIVE_ROOT_URL): ${JSON.stringify(s.driveRootUrl)} is not an http(s) URL`);
  }
  if (s.s3Endpoint !== undefined && !/^https?:\/\//.test(s.s3Endpoint)) {
    throw new ConfigError(`invalid --s3-endpoint (SUPERVISOR_S3_ENDPOINT): ${JSON.stringify(s.s3Endpoint)} is not an http(s) URL`);
  }
  checkOrgSettings(s);
}
