// Admission and the memory plan count an item by one rule: a file at or above --range-cutoff-mb is read as
// --range-streams ranges, each holding a part buffer and a connection's buffer, and is admitted as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemBufferBytes, largeItemBufferBytes, streamsFor } from '../../src/app/item-buffer-bound.js';
import { DOWNLOAD_BUFFER_BYTES } from '../../src/source/drive/download.js';
import { MIB } from '../../src/target/s3/part-size.js';

const settings = { partSizeMb: 8, uploadQueueSize: 4, rangeStreams: 4, rangeCutoffMb: 256 };

test('a file above the range cutoff is admitted with its range streams\' part and connection buffers, as the plan counts it', () => {
  // 4 ranges + 3 more parts in flight = 7 part buffers, and 4 connections' buffers (counted twice, as for one stream).
  const ranged = 7 * 8 * MIB + 2 * 4 * DOWNLOAD_BUFFER_BYTES;
  assert.equal(itemBufferBytes(512 * MIB, settings), ranged);
  assert.equal(itemBufferBytes(256 * MIB, settings), ranged, 'the cutoff itself is read as ranges');
  assert.equal(largeItemBufferBytes(settings), ranged, 'the plan sizes a child by the same bound');
  // One stream's formula (the upload queue's parts and one connection) would admit it below what it holds.
  assert.ok(itemBufferBytes(512 * MIB, settings) > 4 * 8 * MIB + 2 * DOWNLOAD_BUFFER_BYTES);
});

test('below the cutoff, with one range stream and for exports, a file is one stream', () => {
  const oneStream = 4 * 8 * MIB + 2 * DOWNLOAD_BUFFER_BYTES;
  assert.equal(itemBufferBytes(100 * MIB, settings), oneStream);
  assert.equal(itemBufferBytes(512 * MIB, { ...settings, rangeStreams: 1 }), oneStream);
  assert.equal(largeItemBufferBytes({ ...settings, rangeStreams: 1 }), oneStream);
  assert.equal(itemBufferBytes(null, settings), oneStream, 'an export of unknown length is never read as ranges');
  assert.equal(itemBufferBytes(1000, settings), 1000 + 2 * DOWNLOAD_BUFFER_BYTES, 'a file below one part holds its own size');
});

test('the streams a file is read over: the range streams from the cutoff on, else one', () => {
  assert.equal(streamsFor(512 * MIB, settings), 4);
  assert.equal(streamsFor(100 * MIB, settings), 1);
  assert.equal(streamsFor(null, settings), 1);
});
