// A small tmpfs mounted for one test (root only), to fill a volume for real: ENOSPC from the kernel, not a mock.
import { execFile } from 'node:child_process';
import { mkdtemp, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Tmpfs {
  dir: string;
  /** Change its size, keeping its files (mount -o remount). */
  resize(sizeMb: number): Promise<void>;
  unmount(): Promise<void>;
}

/** Mount a tmpfs of `sizeMb`, or return why not (not root, no mount permission in this container). */
export async function mountTmpfs(sizeMb: number): Promise<Tmpfs | string> {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  const dir = await mkdtemp(join(tmpdir(), 'tmpfs-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  } catch (err) {
    await rmdir(dir);
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0] ?? ''}`;
  }
  return {
    dir,
    resize: async (mb) => {
      await run('mount', ['-o', `remount,size=${mb}m`, dir]);
    },
    unmount: async () => {
      await run('umount', [dir]);
      await rmdir(dir);
    },
  };
}
