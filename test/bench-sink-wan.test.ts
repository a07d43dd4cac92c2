// The benchmark's S3 sink behind an emulated network (issue 21): every request but its stats is held by the
// latency, throttled upload bodies arrive whole, and a bad setting is refused up front, naming itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startSink } from '../bench/sink-server.js';

test('sink with a latency and a body rate: each request delayed once, every byte of a throttled PUT counted', async () => {
  const sink = await startSink({ wan: { latencyMs: 2, bytesPerSecond: 4_000_000 } });
  try {
    const body = Buffer.alloc(200 * 1024, 7);
    const put = await fetch(`${sink.endpoint}/b/k`, { method: 'PUT', body });
    assert.equal(put.status, 200);
    const head = await fetch(`${sink.endpoint}/b/k`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(body.length));
    const stats = sink.stats();
    assert.equal(stats.bytes, body.length);
    assert.equal(stats.delayed, 2, 'the PUT and the HEAD');
    const remote = (await (await fetch(`${sink.endpoint}/__stats`)).json()) as { delayed: number; requests: number };
    assert.deepEqual([remote.delayed, remote.requests], [2, 3], 'the stats read is served undelayed');
  } finally {
    await sink.close();
  }
});

test('sink without a network: nothing delayed', async () => {
  const sink = await startSink();
  try {
    assert.equal((await fetch(`${sink.endpoint}/b/k`, { method: 'PUT', body: 'x' })).status, 200);
    assert.deepEqual([sink.stats().bytes, sink.stats().delayed], [1, 0]);
  } finally {
    await sink.close();
  }
});

test('sink with a bad latency: refused at start, naming the setting', async () => {
  await assert.rejects(startSink({ wan: { latencyMs: -1 } }), { name: 'RangeError', message: /wan\.latencyMs must be a non-negative number, got -1/ });
});
