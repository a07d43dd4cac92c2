import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isChildMessage, isParentMessage, message } from '../src/ipc/protocol.js';
import type { DrainMessage } from '../src/ipc/protocol.js';

test('protocol: branded messages are recognised, foreign ones are not', () => {
  const drain = message<DrainMessage>({ kind: 'drain', reason: 'soft-cap' });
  assert.equal(isParentMessage(drain), true);
  assert.equal(isChildMessage(drain), false);
  assert.equal(isParentMessage({ ...drain, v: 2 }), false);
  assert.equal(isParentMessage({ kind: 'drain' }), false);
});
