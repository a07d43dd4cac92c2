// Files that hold every Drive file name and path (the journal with its -wal/-shm, the reports) are the
// owner's only: 0600, and a directory the tool makes for them 0700. The umask can only take bits away from
// a mode given at creation, so each is also chmodded: the result is the same whatever the umask (issue 20,
// point 12).
import { chmodSync, closeSync, fchmodSync, mkdirSync, openSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Make `dir` and any missing parents; the ones made here are 0700, existing ones are left as they are. */
export function makePrivateDir(dir: string): void {
  const target = resolve(dir);
  const first = mkdirSync(target, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (first === undefined) return;
  // mkdirSync returns the first directory it made: it and everything below it on the way to target are new.
  for (let d = target; ; d = dirname(d)) {
    chmodSync(d, PRIVATE_DIR_MODE);
    if (d === resolve(first) || d === dirname(d)) break;
  }
}

/** Create `path` empty and 0600 unless it exists; true when it was created here. */
export function createPrivateFile(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', PRIVATE_FILE_MODE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fchmodSync(fd, PRIVATE_FILE_MODE);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Open `path` for writing from scratch, 0600 (a file left by an earlier run is truncated and made 0600). */
export async function privateWriteStream(path: string): Promise<WriteStream> {
  const handle = await open(path, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle.createWriteStream();
}
