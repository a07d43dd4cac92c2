// Drive or S3 unreachable mid-run (issue 20, point 5): which failures blame a service as a whole, and the
// cheap request that tells whether it answers again. The supervisor pauses dispatch on these and requeues
// the files uncounted; past --outage-timeout-s the run stops checkpointed with exit 69.
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Drive } from '../source/drive/drive-client.js';
import { unreachableServiceOf } from '../error-codes.js';
import { classifyDriveError } from '../source/drive/retry.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import { classifyS3Error } from '../target/s3/s3-errors.js';
import type { OutageRecord } from '../observability/report.js';
import type { OutageOptions } from '../supervisor/supervisor.js';

const SERVICE_NAMES: Readonly<Record<string, string>> = { drive: 'Google Drive', s3: 'S3' };
/** Between probes of a service that is down: often enough to resume soon, cheap enough to be no load. */
const PROBE_INTERVAL_MS = 2000;
/** A probe that takes this long counts as no answer (a blackholed route never refuses). */
const PROBE_TIMEOUT_MS = 10_000;

/** The service a failure says did not answer (error-codes.ts), or null when it may be the file's own. */
export function unreachableService(error: SerializedError): string | null {
  return unreachableServiceOf(error.code);
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
        return unreachableServiceOf(code) === null;
      }
    },
  };
}

/** The name people know a service by. */
export function serviceName(service: string): string {
  return SERVICE_NAMES[service] ?? service;
}

/** Outages of this run, for the live display and the report: opened and closed by the supervisor's 'outage' events. */
export class OutageLog {
  readonly records: OutageRecord[] = [];
  private readonly open = new Map<string, OutageRecord>();

  changed(service: string, down: boolean, since: number): void {
    const now = Date.now();
    const record = this.open.get(service);
    if (down && !record) {
      const opened = { service, startedAt: new Date(since), durationMs: now - since, resolved: false };
      this.open.set(service, opened);
      this.records.push(opened);
    } else if (!down && record) {
      record.durationMs = now - record.startedAt.getTime();
      record.resolved = true;
      this.open.delete(service);
    }
  }

  /** The longest outage still open, as the live display shows it. */
  current(): { service: string; downMs: number } | null {
    let oldest: OutageRecord | null = null;
    for (const r of this.open.values()) if (oldest === null || r.startedAt < oldest.startedAt) oldest = r;
    return oldest === null ? null : { service: serviceName(oldest.service), downMs: Date.now() - oldest.startedAt.getTime() };
  }

  /** Close the books at the end of the run: outages still open last until now. */
  finish(): OutageRecord[] {
    const now = Date.now();
    for (const r of this.open.values()) r.durationMs = now - r.startedAt.getTime();
    return this.records;
  }
}

/** The one line on stderr. */
export function outageLine(service: string, downMs: number, pending: number): string {
  return (
    `supervisor: ${serviceName(service)} unreachable for ${Math.round(downMs / 1000)} s (past --outage-timeout-s): the run stopped, ` +
    `${pending} files still pending, none marked failed; rerun once it answers\n`
  );
}
