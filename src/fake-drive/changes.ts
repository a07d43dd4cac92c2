// The fake Drive's change log: changes.getStartPageToken and changes.list as Drive v3 answers them. Every
// mutation the fake supports appends one entry; a listing from a token reports each file once, as its latest
// change after the token (Drive coalesces the same way), deletions as `removed: true`, trashed files with
// `file.trashed`. Tokens are change numbers as decimal strings (Drive's are opaque numbers too). With an
// organisation each user has a feed: a My Drive change is in it when the user could see the file before or
// after it (one that left the user's sight is `removed`), a shared drive's when the user is a member.
import type { ServerResponse } from 'node:http';

/** What the change log needs from the server: a file's current metadata (null when gone) and its shared drive. */
export interface ChangeSource {
  metadata(id: string): Promise<Record<string, unknown> | null>;
  driveIdOf(id: string): string | undefined;
  /** Whether `subject` sees the My Drive file now (undefined subject: the single-user fake, everyone). */
  visibleTo(id: string, subject: string | undefined): boolean;
  isMember(driveId: string, subject: string | undefined): boolean;
}

export type SendDriveError = (res: ServerResponse, status: number, reason: string, message: string) => void;
export type SendJson = (res: ServerResponse, status: number, body: unknown) => void;

interface Entry {
  /** 1-based change number; a token `n` means "changes numbered n and later". */
  seq: number;
  fileId: string;
  /** The shared drive the file was in when it changed (a deleted file has no node to ask). */
  driveId: string | undefined;
  /** The My Drive users who could see the file before or after the change; undefined: everyone. */
  viewers: readonly string[] | undefined;
  time: string;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export class ChangeLog {
  private readonly entries: Entry[] = [];
  /** Tokens below this are refused as expired (expire() moves it up to the head). */
  private oldestValid = 1;
  /** The same, for one feed only: a user's (their address) or a shared drive's (its id). */
  private readonly oldestValidOf = new Map<string, number>();
  /** changes.list requests answered (getStartPageToken included), for the cost tests. */
  requests = 0;

  constructor(
    private readonly source: ChangeSource,
    private readonly sendJson: SendJson,
    private readonly sendError: SendDriveError,
  ) {}

  /** Record a mutation of `fileId`; call after the change is applied (driveId: where the file is, or was). */
  record(fileId: string, driveId: string | undefined, viewers?: readonly string[]): void {
    this.entries.push({ seq: this.entries.length + 1, fileId, driveId, viewers, time: new Date().toISOString() });
  }

  /** The token a getStartPageToken call would return now. */
  head(): string {
    return String(this.entries.length + 1);
  }

  /** Refuse every token handed out so far, as Drive does for one it no longer accepts; `feed`: one user's or shared drive's only. */
  expire(feed?: string): void {
    // A blank entry moves the head on, so that even the current head token is refused from now on.
    this.record('', undefined);
    if (feed === undefined) this.oldestValid = this.entries.length + 1;
    else this.oldestValidOf.set(feed, this.entries.length + 1);
  }

  /** Whether an entry is in the feed of `subject` (undefined: the single-user fake's one feed). */
  private inFeed(e: Entry, subject: string | undefined, driveId: string | null, allDrives: boolean): boolean {
    const inDrive = this.source.driveIdOf(e.fileId) ?? e.driveId;
    if (inDrive !== undefined) return (driveId !== null ? inDrive === driveId : allDrives) && this.source.isMember(inDrive, subject);
    if (driveId !== null) return false;
    return subject === undefined || e.viewers === undefined || e.viewers.includes(subject) || this.source.visibleTo(e.fileId, subject);
  }

  /** Route /drive/v3/changes*; false when the path is not the change log's. */
  route(path: string, url: URL, res: ServerResponse, subject?: string): Promise<void> | false {
    if (path === '/drive/v3/changes/startPageToken') {
      this.startPageToken(url, res);
      return Promise.resolve();
    }
    if (path === '/drive/v3/changes') return this.list(url, res, subject);
    return false;
  }

  private startPageToken(url: URL, res: ServerResponse): void {
    this.requests++;
    const driveId = url.searchParams.get('driveId');
    if (driveId !== null && url.searchParams.get('supportsAllDrives') !== 'true') {
      return this.sendError(res, 400, 'invalid', 'driveId requires supportsAllDrives');
    }
    this.sendJson(res, 200, { kind: 'drive#startPageToken', startPageToken: this.head() });
  }

  private async list(url: URL, res: ServerResponse, subject: string | undefined): Promise<void> {
    this.requests++;
    const p = url.searchParams;
    const token = p.get('pageToken');
    if (token === null) return this.sendError(res, 400, 'required', 'Required parameter: pageToken');
    const from = /^\d+$/.test(token) ? Number(token) : NaN;
    const driveId = p.get('driveId');
    const oldestValid = Math.max(this.oldestValid, this.oldestValidOf.get(driveId ?? subject ?? '') ?? 1);
    // Drive answers a token it cannot use with 400 Invalid Value (location pageToken); so does the fake for
    // a malformed one, one from the future, or one expire() invalidated.
    if (!Number.isSafeInteger(from) || from < 1 || from > this.entries.length + 1 || from < oldestValid) {
      return this.sendError(res, 400, 'invalid', 'Invalid Value');
    }
    const allDrives = p.get('supportsAllDrives') === 'true' && p.get('includeItemsFromAllDrives') === 'true';
    if (driveId !== null && !allDrives) return this.sendError(res, 400, 'invalid', 'driveId requires includeItemsFromAllDrives and supportsAllDrives');
    const includeRemoved = p.get('includeRemoved') !== 'false';
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(p.get('pageSize') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));

    // Latest entry per file of this feed after the token, in the order of those latest entries.
    const latest = new Map<string, Entry>();
    for (let i = from - 1; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e === undefined || e.fileId === '' || !this.inFeed(e, subject, driveId, allDrives)) continue;
      latest.delete(e.fileId);
      latest.set(e.fileId, e);
    }
    const changes: Record<string, unknown>[] = [];
    let next: number | null = null;
    for (const e of latest.values()) {
      const now = await this.source.metadata(e.fileId);
      const inDrive = now === null ? e.driveId : this.source.driveIdOf(e.fileId);
      // A My Drive file the user no longer sees (moved to another's tree) is removed from their feed, as a deletion.
      const file = now !== null && inDrive === undefined && !this.source.visibleTo(e.fileId, subject) ? null : now;
      if (file === null && !includeRemoved) continue;
      if (changes.length >= pageSize) {
        next = e.seq;
        break;
      }
      changes.push({
        kind: 'drive#change',
        changeType: 'file',
        fileId: e.fileId,
        time: e.time,
        removed: file === null,
        ...(file === null ? {} : { file }),
        ...(inDrive === undefined ? {} : { driveId: inDrive }),
      });
    }
    this.sendJson(res, 200, {
      kind: 'drive#changeList',
      changes,
      ...(next === null ? { newStartPageToken: this.head() } : { nextPageToken: String(next) }),
    });
  }
}
