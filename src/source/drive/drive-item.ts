// One Drive file as the listing hands it to the journal and the copy processor hands it to S3.
// A type alias (not an interface) so it is assignable to JsonObject and crosses IPC as the item payload.

export type DownloadPlan =
  /** Binary content: files.get alt=media, seekable with Range. */
  | { kind: 'media' }
  /** Google Workspace file: streamed from its exportLinks entry (files.export stops at 10 MB). */
  | { kind: 'export'; url: string; mimeType: string; extension: string };

export type DriveItem = {
  /** Drive file id (for a followed shortcut: the target's id). */
  id: string;
  /** The item's name as Drive shows it. */
  name: string;
  /** Original Drive path relative to the migrated folder, display names joined by '/' (metadata only). */
  path: string;
  /** The S3 key (prefix included), mapped safely and deterministically (see keys/key-mapper.ts). */
  key: string;
  /** The source mimeType on Drive. */
  mimeType: string;
  /** Content-Type stored on the object. */
  contentType: string;
  /** Bytes when Drive knows them; null for exports (size unknown while streaming). */
  size: number | null;
  /** Drive's md5Checksum; null when Drive has none (exports, some uploads). */
  md5: string | null;
  /** Drive's sha1Checksum, what the copy verifies when present (cheaper to compute than MD5); null when Drive has none. */
  sha1: string | null;
  modifiedTime: string;
  download: DownloadPlan;
  /** Organisation runs (issue 23): the user (JWT subject) a child downloads it as; absent: the run's own credentials. */
  subject?: string;
};

/** A listed entry that will not be copied, with the reason recorded in the journal and report. */
export type DriveSkip = {
  id: string;
  path: string;
  mimeType: string;
  reason: string;
};

/** What the manifest keeps about a file beyond its copy (owners, sharing): journaled, never sent to children. */
export type SourceMeta = {
  createdTime: string | null;
  description: string | null;
  starred: boolean;
  owners: { email: string | null; name: string | null }[];
  permissions: { role: string; type: string; email?: string; domain?: string }[];
};

export type ListedEntry = { kind: 'file'; item: DriveItem; meta?: SourceMeta } | { kind: 'skip'; skip: DriveSkip };
