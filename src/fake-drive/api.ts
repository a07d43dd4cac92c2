// The fake Drive's public shape: its options and the handle tests and the demo drive it through.
import type { ContentHashes } from './content.js';
import type { FaultRule } from './faults.js';
import type { FakeOrgOptions } from './org.js';
import type { QuotaOptions, UserQuota } from './quota.js';
import type { FakeDriveStats } from './stats.js';
import type { FakeNodeSpec, FakeSharedDrive, GeneratedTreeOptions } from './tree.js';
import type { Wan, WanOptions } from './wan.js';

export interface FakeOAuthClient {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export interface FakeDriveOptions {
  nodes?: FakeNodeSpec[];
  generate?: GeneratedTreeOptions[];
  sharedDrives?: FakeSharedDrive[];
  /** When set, every API request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** When set, POST /token exchanges this refresh token (and client) for `token`. */
  oauth?: FakeOAuthClient;
  /** Order of siblings when no orderBy is given (and of ties under orderBy=name): lets tests vary it. */
  listOrder?: 'insertion' | 'reverse';
  /** Latency, per-connection body rate and dropped bodies (wan.ts); changeable later through `wan.set`. */
  wan?: WanOptions;
  /** An organisation (org.ts): users, the JWT bearer grant with a token per subject, the Directory API. */
  org?: FakeOrgOptions;
  /** A request quota per user (quota.ts) on every API request, metadata and media alike; `quota.set` changes it. */
  quota?: QuotaOptions;
}

export type FakeFilePatch = Partial<
  Pick<FakeNodeSpec, 'name' | 'size' | 'content' | 'seed' | 'md5' | 'sha1' | 'modifiedTime' | 'trashed' | 'canDownload' | 'abusive' | 'starred' | 'description' | 'owners' | 'permissions'>
>;

export interface FakeDrive {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** The client's rootUrl: `url` + '/'. */
  rootUrl: string;
  /** The OAuth token endpoint: `url` + '/token'. */
  tokenUrl: string;
  stats: FakeDriveStats;
  resetStats(): void;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  addNodes(nodes: FakeNodeSpec[]): void;
  /** Change a file; content changes reset its md5; modifiedTime moves forward unless given. */
  updateFile(id: string, patch: FakeFilePatch): void;
  /** Delete a node for good (Drive's files.delete; a trashed file is updateFile({ trashed: true })). */
  removeNode(id: string): void;
  /** Give a node new parents (a move in Drive). */
  moveNode(id: string, parents: string[]): void;
  /** Refuse every change token handed out so far (400 Invalid Value, as Drive answers a token it cannot use); `feed`: only a user's (address) or a shared drive's (id). */
  expireChangeTokens(feed?: string): void;
  /** changes.getStartPageToken and changes.list requests answered so far. */
  readonly changeRequests: number;
  /** Run `change` once, just before the next media request for `id` is served (a change between listing and download). */
  beforeNextMedia(id: string, change: () => void): void;
  /** Refuse `token` from now on with 401, as Drive does for a revoked token (the token option still requires one). */
  revokeToken(token: string): void;
  /** Accept `token` from now on (a new token issued after a revocation). */
  acceptToken(token: string): void;
  /** The bytes the server serves for a file, [start, end). */
  contentOf(id: string, start?: number, end?: number): Buffer;
  /** The bytes the server serves for an export of a file in `mimeType`. */
  exportContentOf(id: string, mimeType: string): Buffer;
  /** The true MD5 of a file's content (what md5Checksum says when md5 is 'real'). */
  trueMd5(id: string): Promise<string>;
  /** The true MD5 and SHA-1 of a file's content, computed in one pass. */
  trueHashes(id: string): Promise<ContentHashes>;
  sizeOf(id: string): number;
  /** The emulated network (its settings and counts of delayed responses and dropped bodies). */
  readonly wan: Wan;
  /** The per-user request quota (off unless set) and its admitted and refused counts. */
  readonly quota: UserQuota;
  close(): Promise<void>;
}
