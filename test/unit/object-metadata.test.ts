// The metadata every object carries: rclone's mtime form, and the whole set inside S3's 2 KB in the worst case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { driveMetadata, MAX_ENCODED_PATH, META_MTIME, rcloneMtime } from '../../src/target/s3/object-metadata.js';

test('mtime: Drive modifiedTime as seconds since the epoch with nine decimals, as rclone reads it', () => {
  assert.equal(rcloneMtime('2024-01-02T03:04:05.678Z'), '1704164645.678000000');
  assert.equal(rcloneMtime('1970-01-01T00:00:00Z'), '0.000000000');
  assert.equal(rcloneMtime('not a time'), null);
});

test('user metadata stays within 2 KB (UTF-8 bytes of names and values) for the longest path', () => {
  const item = { id: 'x'.repeat(64), md5: 'A'.repeat(32), modifiedTime: '2024-01-02T03:04:05.678Z', path: '文件/'.repeat(2000) };
  const meta = driveMetadata(item);
  assert.equal(meta[META_MTIME], '1704164645.678000000');
  assert.equal(meta['drive-path-truncated'], 'true');
  assert.ok((meta['drive-path'] ?? '').length <= MAX_ENCODED_PATH);
  const bytes = Object.entries(meta).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  assert.ok(bytes <= 2048, `metadata is ${bytes} bytes`);
});

test('an unparseable modifiedTime writes no mtime rather than a wrong one', () => {
  const meta = driveMetadata({ id: 'a', md5: null, modifiedTime: '', path: 'a.txt' });
  assert.equal(meta[META_MTIME], undefined);
});
