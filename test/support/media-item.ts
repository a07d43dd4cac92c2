// A media DriveItem as the lister would give it, and a stream read to its end: for download tests.
import type { Readable } from 'node:stream';
import type { DriveItem } from '../../src/source/drive/drive-item.js';

export function mediaItem(id: string, size: number | null): DriveItem {
  return { id, name: id, path: id, key: id, mimeType: 'application/octet-stream', contentType: 'application/octet-stream', size, md5: null, sha1: null, modifiedTime: '', download: { kind: 'media' } };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
