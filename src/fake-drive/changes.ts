// The fake Drive's change log: changes.getStartPageToken and changes.list as Drive v3 answers them. Every
// mutation the fake supports appends one entry; a listing from a token reports each file once, as its latest
// change after the token (Drive coalesces the same way), deletions as `removed: true`, trashed files with
// `file.trashed`. Tokens are change numbers as decimal strings (Drive's are opaque numbers too).
import type { ServerResponse } from 'node:http';

/** What the change log needs from the server: a file's current metadata (null when gone) and its shared drive. */
export interface ChangeSource {
  metadata(id: string): Promise<Record<string, unknown> | null>;
  driveIdOf(id: string): string | undefined;
}

export type SendDriveError = (res: ServerResponse, status: number, reason: string, message: string) => void;
export type SendJson = (res: ServerResponse, status: number, body: unknown) => void;

interface Entry {
  /** 1-based change number; a token `n` means "changes numbered n and later". */
  seq: number;
  fileId: string;
  /** The shared drive the file was in when it changed (a deleted file has no node to ask). */
  driveId: string | undefined;
  time: string;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

export class ChangeLog {
  private readonly entries: Entry[] = [];
  /** Tokens below this are refused as expired (expire() moves it up to the head). */
  private oldestValid = 1;
  /** changes.list requests answered (getStartPageToken included), for the cost tests. */
  requests = 0;

  constructor(
    private readonly source: ChangeSource,
    private readonly sendJson: SendJson,
    private readonly sendError: SendDriveError,
  ) {}

  /** Record a mutation of `fileId`; call after the change is applied (driveId: where the file is, or was). */
  record(fileId: string, driveId: string | undefined): void {
    this.entries.push({ seq: this.entries.length + 1, fileId, driveId, time: new Date().toISOString() });
  }

  /** The token a getStartPageToken call would return now. */
  head(): string {
    return String(this.entries.length + 1);
  }

  /** Refuse every token handed out so far, as Drive does for one it no longer accepts. */
  expire(): void {
    // A blank entry moves the head on, so that even the current head token is refused from now on.
    this.record('', undefined);
    this.oldestValid = this.entries.length + 1;
  }

  /** Route /drive/v3/changes*; false when the path is not the change log's. */
  route(path: string, url: URL, res: ServerResponse): Promise<void> | false {
    if (path === '/drive/v3/changes/startPageToken') {
      this.startPageToken(url, res);
      return Promise.resolve();
    }
    if (path === '/drive/v3/changes') return this.list(url, res);
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

  private async list(url: URL, res: ServerResponse): Promise<void> {
    this.requests++;
    const p = url.searchParams;
    const token = p.get('pageToken');
    if (token === null) return this.sendError(res, 400, 'required', 'Required parameter: pageToken');
    const from = /^\d+$/.test(token) ? Number(token) : NaN;
    // Drive answers a token it cannot use with 400 Invalid Value (location pageToken); so does the fake for
    // a malformed one, one from the future, or one expire() invalidated.
    if (!Number.isSafeInteger(from) || from < 1 || from > this.entries.length + 1 || from < this.oldestValid) {
      return this.sendError(res, 400, 'invalid', 'Invalid Value');
    }
    const driveId = p.get('driveId');
    const allDrives = p.get('supportsAllDrives') === 'true' && p.get('includeItemsFromAllDrives') === 'true';
    if (driveId !== null && !allDrives) return this.sendError(res, 400, 'invalid', 'driveId requires includeItemsFromAllDrives and supportsAllDrives');
    const includeRemoved = p.get('includeRemoved') !== 'false';
    const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Number(p.get('pageSize') ?? DEFAULT_PAGE_SIZE) || DEFAULT_PAGE_SIZE));

    // Latest entry per file after the token, in the order of those latest entries.
    const latest = new Map<string, Entry>();
    for (let i = from - 1; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (e === undefined || e.fileId === '') continue;
      latest.delete(e.fileId);
      latest.set(e.fileId, e);
    }
    const changes: Record<string, unknown>[] = [];
    let next: number | null = null;
    for (const e of latest.values()) {
      const file = await this.source.metadata(e.fileId);
      const inDrive = file === null ? e.driveId : this.source.driveIdOf(e.fileId);
      if (driveId !== null ? inDrive !== driveId : inDrive !== undefined && !allDrives) continue;
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
