// Drive refusing the credentials mid-run (a token revoked, a service account disabled; issue 20, point 9):
// every remaining file would fail the same way, so the run stops instead, checkpointed, with the files it
// had not copied still pending, and exits 2 like any other credentials problem found before the run.
import type { SerializedError } from '../ipc/serialized-error.js';
import { classifyDriveError } from '../drive/retry.js';

/** The DriveError code of a 401 that survived the auth client's own refresh-and-retry (drive/retry.ts). */
const REFUSED_CODE = 'unauthorized';

/** Why to stop, for a file that failed because Drive refused the credentials; null for any other failure. */
export function credentialsRefusedByItem(error: SerializedError): string | null {
  return error.code === REFUSED_CODE ? error.message : null;
}

/** The same for an error the listing threw. */
export function credentialsRefusedByListing(err: unknown): string | null {
  const e = classifyDriveError(err);
  return e.code === REFUSED_CODE ? e.message : null;
}

/** The one line on stderr. */
export function credentialsRefusedLine(detail: string, pending: number): string {
  return (
    `supervisor: Drive refused the credentials mid-run (${detail}): the run stopped, ${pending} files still ` +
    'pending, none marked failed; rerun with valid Drive credentials (--drive-access-token, --oauth-* or --google-credentials)\n'
  );
}
