// The tree `supervisor demo` serves: a few hundred generated files, several large ones, a Google Doc to
// export, a form that cannot be exported, and duplicate names, under one folder to migrate.
import { FOLDER_MIME, generateTree } from './tree.js';
import type { FakeNodeSpec } from './tree.js';

export interface DemoTreeOptions {
  /** Seed for every generated choice; default 1. */
  seed?: number;
  /** Number of small files (spread over folders); default 300. */
  smallFiles?: number;
  /** Sizes of small files are drawn from this list; default 1 KiB … 2 MiB. */
  smallSizes?: number[];
  /** Number of large files; default 4. */
  largeFiles?: number;
  /** Size of each large file; default 200 MiB. */
  largeSize?: number;
  /** md5 of generated files: 'real' costs CPU once per file on first listing; default 'real'. */
  md5?: 'real' | 'none';
}

export const DEMO_ROOT_FOLDER_ID = 'demo-root';

export interface DemoTree {
  /** The folder to migrate (pass as --drive-folder-id). */
  rootFolderId: string;
  nodes: FakeNodeSpec[];
  /** Bytes of binary content (exports not included). */
  totalBytes: number;
}

export function makeDemoTree(options: DemoTreeOptions = {}): DemoTree {
  const seed = options.seed ?? 1;
  const smallFiles = options.smallFiles ?? 300;
  const largeSize = options.largeSize ?? 200 * 1024 * 1024;
  const md5 = options.md5 ?? 'real';
  const nodes: FakeNodeSpec[] = [
    { id: DEMO_ROOT_FOLDER_ID, name: 'Demo', parents: ['root'], mimeType: FOLDER_MIME },
  ];
  // 3 folders × 3 subfolders, files in all 13 folders (root + 3 + 9).
  const folders = 13;
  nodes.push(
    ...generateTree({
      seed,
      depth: 2,
      foldersPerFolder: 3,
      filesPerFolder: Math.max(1, Math.ceil(smallFiles / folders)),
      sizes: options.smallSizes ?? [1024, 10 * 1024, 100 * 1024, 512 * 1024, 2 * 1024 * 1024],
      rootId: DEMO_ROOT_FOLDER_ID,
      md5,
      idPrefix: 'demo-',
    }),
  );
  const large = options.largeFiles ?? 4;
  nodes.push({ id: 'demo-large', name: 'Large files', parents: [DEMO_ROOT_FOLDER_ID], mimeType: FOLDER_MIME });
  for (let i = 0; i < large; i++) {
    nodes.push({ id: `demo-large-${i}`, name: `video-${i}.mp4`, parents: ['demo-large'], mimeType: 'video/mp4', size: largeSize, md5 });
  }
  nodes.push(
    { id: 'demo-doc', name: 'Quarterly report', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'application/vnd.google-apps.document', exportSize: 64 * 1024 },
    { id: 'demo-sheet', name: 'Budget', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'application/vnd.google-apps.spreadsheet', exportSize: 32 * 1024 },
    { id: 'demo-form', name: 'Survey', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'application/vnd.google-apps.form' },
    { id: 'demo-dup-a', name: 'notes.txt', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'text/plain', content: 'first notes\n' },
    { id: 'demo-dup-b', name: 'notes.txt', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'text/plain', content: 'second notes\n' },
    { id: 'demo-trashed', name: 'old.bin', parents: [DEMO_ROOT_FOLDER_ID], mimeType: 'application/octet-stream', size: 1024, trashed: true },
  );
  let totalBytes = 0;
  for (const n of nodes) {
    if (n.trashed === true || n.mimeType.startsWith('application/vnd.google-apps.')) continue;
    totalBytes += n.content === undefined ? (n.size ?? 0) : Buffer.byteLength(n.content);
  }
  return { rootFolderId: DEMO_ROOT_FOLDER_ID, nodes, totalBytes };
}
