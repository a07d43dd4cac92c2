// What the copy needs of a source (rclone's fs.Fs / fs.Object, reduced to a copy child's part): the item a
// work payload describes, its bytes from an offset, and how the source describes it now. Listing and
// changes stay in the supervisor (source/drive/lister.ts, changes.ts): a child never lists.
import type { ItemError } from '../errors.js';
import type { JsonObject } from '../ipc/json.js';
import type { ByteSource } from './byte-source.js';

/** What the copy reads of a listed item, whatever the source (a DriveItem is one). */
export type SourceItem = {
  /** The source's id of the file (Drive file id). */
  id: string;
  /** Path relative to the migrated root, for the object's metadata. */
  path: string;
  /** The target key the listing mapped (keys/key-mapper.ts). */
  key: string;
  contentType: string;
  /** Bytes when the source knows them; null for streams of unknown length. */
  size: number | null;
  md5: string | null;
  sha1: string | null;
  modifiedTime: string;
};

export interface Source<I extends SourceItem = SourceItem> {
  /** The service's name in outage reports ('drive'). */
  readonly service: string;
  /** The work item's payload as this source's item; throws an ItemError (bad-payload) when it is not one. */
  parseItem(payload: JsonObject): I;
  /** Whether the item's bytes can be read from an offset (resumable); exports cannot. */
  seekable(item: I): boolean;
  /** The item's bytes from `offset` (`length` of them, for one range of a file read in parallel; absent: to the end). */
  open(item: I, offset: number, signal: AbortSignal, length?: number): Promise<ByteSource>;
  /** The item as the source describes it now; null when it is gone. */
  fresh(item: I, signal: AbortSignal): Promise<I | null>;
  /** Anything thrown while talking to this source, as one of its ItemErrors (codes and retryability). */
  classify(err: unknown): ItemError;
  /** Whether the error is this source's, to be classified by it (retry counts go by the code table, error-codes.ts). */
  owns(err: ItemError): boolean;
  /** Whether the error says the source did not answer (an outage), not something about the file. */
  unreachable(err: ItemError): boolean;
  /** The wait the source asked for (Retry-After), when it did. */
  retryAfterMs(err: ItemError): number | null;
  close(): void;
}

/** Whether the fresh description is another version than the listed one. */
export function isOtherVersion(listed: SourceItem, now: SourceItem): boolean {
  return listed.size !== now.size || listed.md5 !== now.md5 || listed.sha1 !== now.sha1 || listed.modifiedTime !== now.modifiedTime;
}
