// A copy source s3rver (decodeURI) and AWS (full decoding) both read back as the key it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copySourcePath } from '../../src/target/s3/copy-object.js';

test('copy source: segments percent-encoded, @ : , left plain, and decodeURI and decodeURIComponent both give the key back', () => {
  const keys = ['org/users/ann@example.com/a b.txt', 'shared-drives/Q1: plan, draft/ü+%#?.txt', 'plain/key.bin'];
  assert.equal(copySourcePath(keys[0] ?? ''), 'org/users/ann@example.com/a%20b.txt');
  for (const key of keys) {
    const path = copySourcePath(key);
    assert.equal(path.split('/').map(decodeURIComponent).join('/'), key, key);
    // '+', '#', '?' and '%' stay encoded: decodeURI leaves %23/%3F/%2B as they are, so only keys without them round-trip there.
    if (!/[+#?]/.test(key)) assert.equal(decodeURI(path), key, `decodeURI ${key}`);
  }
});
