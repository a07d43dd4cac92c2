// Drive or S3 unreachable mid-run (issue 20, point 5): which failures blame a service as a whole, and the
// cheap request that tells whether it answers again. The supervisor pauses dispatch on these and requeues
// the files uncounted; past --outage-timeout-s the run stops checkpointed with exit 69.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Drive } from '../drive/drive-client.js';
import { classifyDriveError } from '../drive/retry.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import { classifyS3Error } from '../s3/s3-errors.js';
import type { OutageOptions } from '../supervisor/supervisor.js';

/** Codes of failures that say nothing about the file, only that its service did not answer (drive/retry.ts, s3/s3-errors.ts). */
const UNREACHABLE: Readonly<Record<string, string>> = {
  'connection-reset': 'drive',
  timeout: 'drive',
  'server-error': 'drive',
  's3-network': 's3',
  's3-timeout': 's3',
  's3-server-error': 's3',
};
const SERVICE_NAMES: Readonly<Record<string, string>> = { drive: 'Google Drive', s3: 'S3' };
/** Between probes of a service that is down: often enough to resume soon, cheap enough to be no load. */
const PROBE_INTERVAL_MS = 2000;
/** A probe that takes this long counts as no answer (a blackholed route never refuses). */
const PROBE_TIMEOUT_MS = 10_000;

export function unreachableService(error: SerializedError): string | null {
  return UNREACHABLE[error.code] ?? null;
}

export function outageOptions(deps: { drive: Drive; rootId: string; s3: S3Client; bucket: string; timeoutS: number }): OutageOptions {
  const probes: Record<string, (signal: AbortSignal) => Promise<unknown>> = {
    drive: (signal) => deps.drive.files.get({ fileId: deps.rootId, fields: 'id', supportsAllDrives: true }, { signal }),
    s3: (signal) => deps.s3.send(new HeadBucketCommand({ Bucket: deps.bucket }), { abortSignal: signal }),
  };
  return {
    serviceOf: unreachableService,
    probeIntervalMs: PROBE_INTERVAL_MS,
    timeoutMs: deps.timeoutS * 1000,
    probe: async (service) => {
      const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
      try {
        await probes[service]?.(signal);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        // Any answer but an unreachable one (a 403, a 404) means the service is there: the files decide.
        const code = service === 's3' ? classifyS3Error(err).code : classifyDriveError(err).code;
        return UNREACHABLE[code] === undefined;
      }
    },
  };
}

/** The one line on stderr. */
export function outageLine(service: string, downMs: number, pending: number): string {
  return (
    `supervisor: ${SERVICE_NAMES[service] ?? service} unreachable for ${Math.round(downMs / 1000)} s (past --outage-timeout-s): the run stopped, ` +
    `${pending} files still pending, none marked failed; rerun once it answers\n`
  );
}
