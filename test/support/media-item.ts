// A media DriveItem as the lister would give it, and a download read to its end: for download tests.
import type { ByteSource } from '../../src/source/byte-source.js';
import type { DriveItem } from '../../src/source/drive/drive-item.js';

export function mediaItem(id: string, size: number | null): DriveItem {
  return { id, name: id, path: id, key: id, mimeType: 'application/octet-stream', contentType: 'application/octet-stream', size, md5: null, sha1: null, modifiedTime: '', download: { kind: 'media' } };
}

/** Every byte of `source`, read as the copy reads it (readInto, 64 KiB at a time) until a read returns 0. */
export async function readAll(source: ByteSource): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const buffer = Buffer.alloc(64 * 1024);
    const n = await source.readInto(buffer);
    if (n === 0) return Buffer.concat(parts);
    parts.push(buffer.subarray(0, n));
  }
}
