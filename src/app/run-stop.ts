// Failures no other file can get past either (issue 20, points 5 and 9): every remaining file would fail the
// same way, so the run stops instead, checkpointed, with the files it had not copied still pending.
import type { ItemOutcome } from '../ipc/protocol.js';
import type { SerializedError } from '../ipc/serialized-error.js';
import { serviceOf } from '../error-codes.js';
import type { ErrorCode, ErrorCodeOf } from '../error-codes.js';
import { classifyDriveError } from '../source/drive/retry.js';
import { ExitCode } from '../exit-codes.js';

/** Drive refused the credentials (a token revoked, a service account disabled), or its download quota ran out. */
export type RunStopKind = 'credentials' | 'download-quota';

export interface RunStop {
  kind: RunStopKind;
  /** Drive's own words (HTTP status, reason, message): never a token. */
  detail: string;
  at: Date;
}

/** Drive codes (error-codes.ts) that stop the run at once: a 401 that survived the auth client's refresh. */
const STOP_CODES: Readonly<Partial<Record<ErrorCodeOf<'drive'>, RunStopKind>>> = { unauthorized: 'credentials' };

/** The Drive code of a 403 downloadQuotaExceeded: one hot file's quota, or the user's daily limit. */
const QUOTA_CODE: ErrorCodeOf<'drive'> = 'download-quota-exceeded';

/** Drive counts its download limit over a rolling day; no answer says when it resets. */
const QUOTA_WINDOW_MS = 24 * 3600 * 1000;

function isDriveCode(code: ErrorCode): code is ErrorCodeOf<'drive'> {
  return serviceOf(code) === 'drive';
}

/** Only a Drive failure stops the run (the one table of who failed: error-codes.ts). */
function stopFor(code: ErrorCode, detail: string): RunStop | null {
  const kind = isDriveCode(code) ? STOP_CODES[code] : undefined;
  return kind === undefined ? null : { kind, detail, at: new Date() };
}

/**
 * Drive answers downloadQuotaExceeded both for one much-downloaded file and for the user's daily limit: one
 * such file fails alone; `limit` in a row with no file done between is the daily limit, and stops the run.
 */
export class DownloadQuotaStreak {
  private ids: string[] = [];
  private tripped = false;

  constructor(private readonly limit: number) {}

  /** The files to put back to pending and the stop, once the streak is reached (and for each such file after). */
  settled(id: string, outcome: ItemOutcome): { ids: string[]; stop: RunStop } | null {
    if (outcome.status === 'done') this.ids = [];
    if (outcome.status !== 'failed' || outcome.error.code !== QUOTA_CODE) return null;
    this.ids.push(id);
    if (!this.tripped && this.ids.length < this.limit) return null;
    this.tripped = true;
    const ids = this.ids;
    this.ids = [];
    return { ids, stop: { kind: 'download-quota', detail: outcome.error.message, at: new Date() } };
  }
}

/** Why to stop, for a file that failed this way; null for any other failure. */
export function runStopByItem(error: SerializedError): RunStop | null {
  return stopFor(error.code, error.message);
}

/** The same for an error the listing threw. */
export function runStopByListing(err: unknown): RunStop | null {
  const e = classifyDriveError(err);
  return stopFor(e.code, e.message);
}

export function runStopExitCode(stop: RunStop): ExitCode {
  return stop.kind === 'credentials' ? ExitCode.Config : ExitCode.DownloadQuota;
}

/** The one line on stderr. */
export function runStopLine(stop: RunStop, pending: number): string {
  const stopped = `the run stopped, ${pending} files still pending, none marked failed`;
  if (stop.kind === 'credentials') {
    return `supervisor: Drive refused the credentials mid-run (${stop.detail}): ${stopped}; rerun with valid Drive credentials (--drive-access-token, --oauth-* or --google-credentials)\n`;
  }
  const retryAt = new Date(stop.at.getTime() + QUOTA_WINDOW_MS).toISOString();
  return `supervisor: Drive's download quota is used up (${stop.detail}): ${stopped}; Drive counts it over 24 h: rerun after ${retryAt}\n`;
}
