// The organisation the org-scale bench copies (issue 23): `users` users, each with a My Drive, and `sharedDrives`
// shared drives, each organized by one of the users (so it spends that user's quota), holding `files` small files
// in all, spread by a Zipf law (drive k of the size order gets a share ∝ 1/k^skew: a few giant Drives, many small),
// the sizes dealt to the drives in a seeded shuffle, so the giants are not all first in the directory.
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec, FakeSharedDrive, FakeUser } from '../src/fake-drive/index.js';
import { prng } from '../src/fake-drive/tree.js';

export interface OrgSpec {
  users: number;
  sharedDrives: number;
  files: number;
  /** The Zipf exponent of the drives' sizes (0: all alike). */
  skew: number;
  minBytes: number;
  maxBytes: number;
  seed: number;
}

/** One drive the run copies: the key prefix its objects land under, its files, whose quota it spends. */
export interface OrgDrive {
  prefix: string;
  kind: 'user' | 'shared-drive';
  subject: string;
  files: number;
  bytes: number;
}

export interface OrgWorld {
  users: FakeUser[];
  admin: string;
  sharedDrives: FakeSharedDrive[];
  nodes: FakeNodeSpec[];
  drives: OrgDrive[];
}

/** Files per folder: Drive lists a folder a page (≤ 1000) at a time, and nobody keeps 4,000 files in one. */
const FOLDER_FILES = 200;

export const userEmail = (i: number): string => `u${String(i).padStart(3, '0')}@example.com`;

/** Each drive's file count: Zipf shares of `files`, at least one each, dealt in a seeded shuffle. */
export function driveSizes(drives: number, files: number, skew: number, seed: number): number[] {
  const weights = Array.from({ length: drives }, (_, k) => 1 / (k + 1) ** skew);
  const sum = weights.reduce((a, w) => a + w, 0);
  const sizes = weights.map((w) => Math.max(1, Math.round((files * w) / sum)));
  const random = prng(seed);
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j] ?? 0, sizes[i] ?? 0];
  }
  return sizes;
}

export function buildOrg(spec: OrgSpec): OrgWorld {
  const users: FakeUser[] = Array.from({ length: spec.users }, (_, i) => ({ email: userEmail(i), ...(i === 0 ? { isAdmin: true } : {}) }));
  const admin = userEmail(0);
  const sizes = driveSizes(spec.users + spec.sharedDrives, spec.files, spec.skew, spec.seed);
  const random = prng(spec.seed + 1);
  const nodes: FakeNodeSpec[] = [];
  const drives: OrgDrive[] = [];
  const sharedDrives: FakeSharedDrive[] = [];
  // A drive's files in folders of FOLDER_FILES under `parent`, owned by `owner` (My Drive) or by the drive.
  const fill = (tag: string, parent: string, count: number, owner: string | null): number => {
    let bytes = 0;
    for (let f = 0; f < count; f += FOLDER_FILES) {
      const folder = `${tag}-d${f / FOLDER_FILES}`;
      nodes.push({ id: folder, name: `folder-${f / FOLDER_FILES}`, parents: [parent], mimeType: FOLDER_MIME, ...(owner === null ? {} : { owners: [owner] }) });
      for (let i = f; i < Math.min(count, f + FOLDER_FILES); i++) {
        const size = spec.minBytes + Math.floor(random() * (spec.maxBytes - spec.minBytes + 1));
        bytes += size;
        nodes.push({ id: `${tag}-f${i}`, name: `file-${i}.bin`, parents: [folder], mimeType: 'application/octet-stream', size });
      }
    }
    return bytes;
  };
  for (let i = 0; i < spec.users; i++) {
    const email = userEmail(i);
    const files = sizes[i] ?? 1;
    drives.push({ prefix: `users/${email}/`, kind: 'user', subject: email, files, bytes: fill(`u${i}`, 'root', files, email) });
  }
  for (let s = 0; s < spec.sharedDrives; s++) {
    const id = `sd${s}`;
    const name = `Shared ${s}`;
    // Spread over the users (7 is prime to any user count here): an organizer's quota serves its own My Drive too.
    const organizer = userEmail((s * 7 + 3) % spec.users);
    sharedDrives.push({ id, name, members: [{ role: 'organizer', type: 'user', emailAddress: organizer }] });
    const files = sizes[spec.users + s] ?? 1;
    drives.push({ prefix: `shared-drives/${name}/`, kind: 'shared-drive', subject: organizer, files, bytes: fill(id, id, files, null) });
  }
  return { users, admin, sharedDrives, nodes, drives };
}
