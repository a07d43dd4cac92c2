// Which final failures a later plain `run` may try again (issue 20): those another attempt could fix — 5xx,
// resets, timeouts, S3 InternalError (ItemErrors with retryable set), and files whose children kept dying
// (poison: the death, not the file, may be the cause). Permanent ones stay failed with their reason: not
// found, forbidden, not exportable, and bytes that kept disagreeing with Drive's checksum (retried in fresh
// children already; Drive's metadata is wrong, not the transfer).
import { CHECKSUM_MISMATCH_CODES } from '../errors.js';
import type { SerializedError } from '../ipc/serialized-error.js';

const PERMANENT_THOUGH_RETRYABLE: ReadonlySet<string> = new Set([...CHECKSUM_MISMATCH_CODES, 'size-mismatch']);

export function isTransientFailure(error: Pick<SerializedError, 'code' | 'retryable'>): boolean {
  // Poison: the death, not the file, may be the cause; a download quota resets within a day.
  if (error.code === 'poison' || error.code === 'download-quota-exceeded') return true;
  return error.retryable && !PERMANENT_THOUGH_RETRYABLE.has(error.code);
}
