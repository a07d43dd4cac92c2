// CompleteMultipartUpload failed after every part was uploaded: the caller should look whether the object is
// there already before anything else (s3/completed-object.ts), since completing again may never work.
import { ItemError } from '../../errors.js';

export class CompleteFailedError extends ItemError {
  override readonly name = 'CompleteFailedError';
  constructor(
    cause: ItemError,
    readonly uploadId: string,
  ) {
    super(cause.message, cause.retryable, cause.code);
  }
}
