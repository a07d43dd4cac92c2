// The Drive source behind the copy's Source interface (source/source.ts): media and export bytes from an
// offset (download.ts, over the direct media client when it can), fresh metadata (fresh-metadata.ts), and
// Drive's error classification (retry.ts), all paced by this child's share of the request rate.
import type { ItemError } from '../../errors.js';
import type { JsonObject } from '../../ipc/json.js';
import { NetError } from '../../net/net-error.js';
import type { ByteSource } from '../byte-source.js';
import type { Source } from '../source.js';
import { closeMediaConnections } from './direct-media.js';
import { openDownload } from './download.js';
import type { DriveEndpoint } from './drive-endpoint.js';
import type { DriveItem } from './drive-item.js';
import { parseDriveItem } from './drive-item-payload.js';
import { freshItem } from './fresh-metadata.js';
import type { Pacer } from './pacer.js';
import { classifyDriveError, DRIVE_UNREACHABLE, DriveError } from './retry.js';

export class DriveSource implements Source<DriveItem> {
  readonly service = 'drive';

  constructor(
    private readonly drive: DriveEndpoint,
    private readonly pacer: Pacer,
    private readonly acknowledgeAbuse: boolean,
  ) {}

  parseItem(payload: JsonObject): DriveItem {
    return parseDriveItem(payload);
  }

  seekable(item: DriveItem): boolean {
    // Exports cannot be read from an offset (no Range on export links).
    return item.download.kind === 'media';
  }

  open(item: DriveItem, offset: number, signal: AbortSignal, length?: number): Promise<ByteSource> {
    return openDownload(this.drive, item, { offset, ...(length === undefined ? {} : { length }), signal, acknowledgeAbuse: this.acknowledgeAbuse, pacer: this.pacer });
  }

  fresh(item: DriveItem, signal: AbortSignal): Promise<DriveItem | null> {
    return freshItem(this.drive, this.pacer, item, signal);
  }

  classify(err: unknown): ItemError {
    return classifyDriveError(err);
  }

  owns(err: ItemError): boolean {
    // The media client's errors (read off a direct body during the upload) are Drive's too.
    return err instanceof DriveError || err instanceof NetError;
  }

  unreachable(err: ItemError): boolean {
    return err instanceof DriveError && DRIVE_UNREACHABLE.has(err.code);
  }

  retryAfterMs(err: ItemError): number | null {
    return err instanceof DriveError ? err.retryAfterMs : null;
  }

  close(): void {
    closeMediaConnections();
  }
}
