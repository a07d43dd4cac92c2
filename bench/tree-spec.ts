// The generated Drive trees the scenarios copy: a root folder with N subfolders of files whose sizes are
// drawn deterministically from a list, plus optional large files at the top. Both the fake Drive and the
// HTML index serve the same nodes (and so the same bytes).
import { FOLDER_MIME, generateTree } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';

export const BENCH_ROOT_ID = 'bench-root';

export interface TreeSpec {
  seed: number;
  /** Subfolders of the root; files sit in the root and in each subfolder. */
  folders: number;
  filesPerFolder: number;
  sizes: number[];
  large: { count: number; size: number };
  /** 'none' for listing-only trees (no md5 to compute for a million files). */
  md5: 'real' | 'none';
}

export function buildNodes(spec: TreeSpec): FakeNodeSpec[] {
  const nodes: FakeNodeSpec[] = [{ id: BENCH_ROOT_ID, name: 'bench', parents: ['root'], mimeType: FOLDER_MIME }];
  if (spec.filesPerFolder > 0) {
    for (const n of generateTree({
      seed: spec.seed,
      depth: spec.folders > 0 ? 1 : 0,
      foldersPerFolder: spec.folders,
      filesPerFolder: spec.filesPerFolder,
      sizes: spec.sizes,
      rootId: BENCH_ROOT_ID,
      md5: spec.md5,
      idPrefix: 'b',
    })) {
      nodes.push(n);
    }
  }
  for (let i = 0; i < spec.large.count; i++) {
    nodes.push({ id: `bench-large-${i}`, name: `large-${i}.bin`, parents: [BENCH_ROOT_ID], mimeType: 'application/octet-stream', size: spec.large.size, md5: spec.md5 });
  }
  return nodes;
}

/** Files and bytes a spec yields, without building it. */
export function treeTotals(nodes: readonly FakeNodeSpec[]): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const n of nodes) {
    if (n.mimeType === FOLDER_MIME) continue;
    files++;
    bytes += n.size ?? 0;
  }
  return { files, bytes };
}
