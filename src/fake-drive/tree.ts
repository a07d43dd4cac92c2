// The fake Drive's tree: explicit node definitions, plus a deterministic generator from a seed.
// A node's content is either literal bytes (small test fixtures) or generated from a seed (any size).

export const FOLDER_MIME = 'application/vnd.google-apps.folder';
export const SHORTCUT_MIME = 'application/vnd.google-apps.shortcut';
export const MY_DRIVE_ROOT_ID = 'root';

/** Workspace types and the export formats Drive offers for them; the last three export to nothing. */
export const WORKSPACE_EXPORTS: Readonly<Record<string, readonly string[]>> = {
  'application/vnd.google-apps.document': [
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.oasis.opendocument.text',
    'application/pdf',
    'text/plain',
    'text/html',
  ],
  'application/vnd.google-apps.spreadsheet': [
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.oasis.opendocument.spreadsheet',
    'application/pdf',
    'text/csv',
  ],
  'application/vnd.google-apps.presentation': [
    'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    'application/vnd.oasis.opendocument.presentation',
    'application/pdf',
  ],
  'application/vnd.google-apps.drawing': ['image/svg+xml', 'image/png', 'image/jpeg', 'application/pdf'],
  'application/vnd.google-apps.form': [],
  'application/vnd.google-apps.site': [],
  'application/vnd.google-apps.map': [],
};

/** One node as a test or the demo defines it. */
export interface FakeNodeSpec {
  id: string;
  name: string;
  /** Parent ids; top-level My Drive items use 'root', shared-drive top-level items the drive id. */
  parents: string[];
  mimeType: string;
  /** Generated content of this many bytes (ignored when `content` is given). */
  size?: number;
  /** Literal content. */
  content?: string | Uint8Array;
  /** Seed of generated content; defaults to a hash of the id. */
  seed?: number;
  /** 'real' (default): the true MD5; 'none': no md5Checksum; any other string: served as md5Checksum (a wrong one). */
  md5?: string;
  /**
   * Likewise for sha1Checksum. Default: 'real' when md5 is 'real', else 'none' (a file served with a wrong
   * or no md5 has no sha1 either, so the copy checks the md5 it is given, as for Drive's oldest files).
   */
  sha1?: string;
  modifiedTime?: string;
  createdTime?: string;
  description?: string;
  starred?: boolean;
  trashed?: boolean;
  /** capabilities.canDownload; default true. */
  canDownload?: boolean;
  /** Flagged as abuse: alt=media needs acknowledgeAbuse=true. */
  abusive?: boolean;
  /** For shortcuts. */
  shortcutTargetId?: string;
  /** Bytes served by each export of a Workspace file (default 4096). */
  exportSize?: number;
  /** Owners' emails (organisation fakes): a My Drive node without owners inherits its parent's; none = everyone's. */
  owners?: string[];
  /** Permissions served with the file's metadata (role, type, email or domain). */
  permissions?: FakePermission[];
}

export interface FakePermission {
  role: 'owner' | 'organizer' | 'fileOrganizer' | 'writer' | 'commenter' | 'reader';
  type: 'user' | 'group' | 'domain' | 'anyone';
  emailAddress?: string;
  domain?: string;
}

export interface FakeSharedDrive {
  id: string;
  name: string;
  /** Members (organisation fakes): only they see its files; none = everyone. */
  members?: FakePermission[];
}

export interface GeneratedTreeOptions {
  seed: number;
  /** Folder levels below the root folder (0 = files only in the root folder). */
  depth: number;
  foldersPerFolder: number;
  filesPerFolder: number;
  /** File sizes are picked from this list, deterministically. */
  sizes: number[];
  /** Parent of the generated top level; default 'root'. */
  rootId?: string;
  /** md5 setting for every generated file; default 'real'. */
  md5?: 'real' | 'none';
  /** Id prefix, so that several generated trees can coexist; default 'g'. */
  idPrefix?: string;
}

/** mulberry32: a tiny deterministic PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_TIME = Date.UTC(2024, 0, 1);

/** A deterministic tree: folders `depth` levels deep, each holding files whose sizes come from `sizes`. */
export function generateTree(options: GeneratedTreeOptions): FakeNodeSpec[] {
  const random = prng(options.seed);
  const prefix = options.idPrefix ?? 'g';
  const nodes: FakeNodeSpec[] = [];
  let counter = 0;
  const nextId = (kind: string): string => `${prefix}${kind}${String(counter++).padStart(6, '0')}`;
  const time = (): string => new Date(BASE_TIME + Math.floor(random() * 1e10)).toISOString();
  const fill = (parentId: string, level: number): void => {
    for (let i = 0; i < options.filesPerFolder; i++) {
      const size = options.sizes[Math.floor(random() * options.sizes.length)] ?? 0;
      nodes.push({
        id: nextId('f'),
        name: `file-${level}-${i}.bin`,
        parents: [parentId],
        mimeType: 'application/octet-stream',
        size,
        md5: options.md5 ?? 'real',
        modifiedTime: time(),
      });
    }
    if (level >= options.depth) return;
    for (let i = 0; i < options.foldersPerFolder; i++) {
      const id = nextId('d');
      nodes.push({ id, name: `folder-${level}-${i}`, parents: [parentId], mimeType: FOLDER_MIME, modifiedTime: time() });
      fill(id, level + 1);
    }
  };
  fill(options.rootId ?? MY_DRIVE_ROOT_ID, 0);
  return nodes;
}
