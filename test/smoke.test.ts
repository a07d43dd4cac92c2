import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, isChildMessage, isParentMessage, message } from '../src/ipc/protocol.js';
import type { DrainMessage, ItemReturnedMessage, ServiceStateMessage } from '../src/ipc/protocol.js';

test('protocol: branded messages are recognised, foreign ones are not', () => {
  const drain = message<DrainMessage>({ kind: 'drain', reason: 'soft-cap' });
  assert.equal(isParentMessage(drain), true);
  assert.equal(isChildMessage(drain), false);
  assert.equal(isParentMessage({ ...drain, v: PROTOCOL_VERSION + 1 }), false);
  assert.equal(isParentMessage({ ...drain, v: 1 }), false, 'a version-1 child or parent is foreign to version 2');
  assert.equal(isParentMessage({ kind: 'drain' }), false);
  // The outage messages (issue 20 point 5) each go one way only.
  const state = message<ServiceStateMessage>({ kind: 'service-state', service: 's3', down: true });
  assert.equal(isParentMessage(state), true);
  assert.equal(isChildMessage(state), false);
  const returned = message<ItemReturnedMessage>({ kind: 'item-returned', batchId: 'b', itemId: 'i', service: 's3' });
  assert.equal(isChildMessage(returned), true);
  assert.equal(isParentMessage(returned), false);
});
