import { isErrorCode } from '../error-codes.js';
import type { ErrorCode } from '../error-codes.js';
import { ItemError } from '../errors.js';

/** An error as it crosses the IPC channel: plain data, rebuilt on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code: ErrorCode;
  retryable: boolean;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ItemError) {
    return { name: err.name, message: err.message, code: err.code, retryable: err.retryable };
  }
  // Unknown errors are retryable by default: a child death or a reset should not fail a file forever;
  // the attempt limit bounds it. An errno code is not one of ours (error-codes.ts): the message keeps it.
  if (err instanceof Error) return { name: err.name, message: err.message, code: 'error', retryable: true };
  return { name: 'Error', message: String(err), code: 'error', retryable: true };
}

export function deserializeError(e: SerializedError): ItemError {
  const err = new ItemError(e.message, e.retryable, e.code);
  Object.defineProperty(err, 'name', { value: e.name });
  return err;
}

/**
 * A code as a child sent it, checked against the list: an unknown one (a child of another build, a bug) is
 * told to `onUnknown` and read as the generic 'error', never trusted and never a crash.
 */
export function checkedCode(code: unknown, onUnknown: (code: unknown) => void): ErrorCode {
  if (isErrorCode(code)) return code;
  onUnknown(code);
  return 'error';
}
