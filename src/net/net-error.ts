// The media client's own failure (net/ knows no service): a connection that broke, stalled or answered what
// the parser refuses. Every one is worth another attempt; the source that uses the client maps it to its own
// error class (source/drive/retry.ts classifyDriveError).
import { ItemError } from '../errors.js';

export type NetErrorCode = 'timeout' | 'connection-reset' | 'bad-response';

export class NetError extends ItemError {
  override readonly name = 'NetError';
  constructor(
    message: string,
    override readonly code: NetErrorCode,
  ) {
    super(message, true, code);
  }
}
