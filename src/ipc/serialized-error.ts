import { ItemError } from '../errors.js';

/** An error as it crosses the IPC channel: plain data, rebuilt on the other side. */
export interface SerializedError {
  name: string;
  message: string;
  code: string;
  retryable: boolean;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof ItemError) {
    return { name: err.name, message: err.message, code: err.code, retryable: err.retryable };
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    // Unknown errors are retryable by default: a child death or a reset should not fail a file forever;
    // the attempt limit bounds it.
    return { name: err.name, message: err.message, code: typeof code === 'string' ? code : 'error', retryable: true };
  }
  return { name: 'Error', message: String(err), code: 'error', retryable: true };
}

export function deserializeError(e: SerializedError): ItemError {
  const err = new ItemError(e.message, e.retryable, e.code);
  Object.defineProperty(err, 'name', { value: e.name });
  return err;
}
