// The outage watch (issue 20 point 5) driven directly, with a probe the test answers: an early report
// probes at once and, without an answer, holds the service down (signals aborted, files requeued uncounted);
// an answer resumes; a service that answers is not probed again by every report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import { OutageWatch } from '../../src/supervisor/outage-watch.js';
import type { OutageHooks } from '../../src/supervisor/outage-watch.js';
import type { WorkItem } from '../../src/ipc/protocol.js';
import { silentLogger } from '../../src/observability/logger.js';

function item(id: string): WorkItem {
  return { id, attempt: 1, sizeBytes: 0, bufferBytes: 0, payload: {}, checkpoint: null };
}

/** A probe answered by the test: each call waits for `answer(up)`. */
function scriptedProbe(): { probe: (service: string) => Promise<boolean>; calls: string[]; answer: (up: boolean) => Promise<void> } {
  const calls: string[] = [];
  const waiting: ((up: boolean) => void)[] = [];
  const asked = new EventEmitter();
  return {
    calls,
    probe: (service) => {
      calls.push(service);
      const answered = new Promise<boolean>((resolve) => waiting.push(resolve));
      asked.emit('probe');
      return answered;
    },
    answer: async (up) => {
      if (waiting.length === 0) await once(asked, 'probe');
      waiting.shift()?.(up);
    },
  };
}

function watch(probe: (service: string) => Promise<boolean>, probeIntervalMs = 5): { watch: OutageWatch; events: string[] } {
  const events: string[] = [];
  const hooks: OutageHooks = {
    requeueUncounted: (i, reason) => events.push(`requeue ${i.id} (${reason})`),
    failedOnItsOwn: (i) => events.push(`own ${i.id}`),
    changed: (service, down) => events.push(`${service} ${down ? 'down' : 'up'}`),
    answered: () => events.push('answered'),
    stop: (s) => events.push(`stop ${s.service}`),
  };
  const options = { serviceOf: (e: { code: string }) => (e.code === 's3-network' ? 's3' : null), probe, probeIntervalMs, timeoutMs: 60_000 };
  return { watch: new OutageWatch(options, hooks, silentLogger()), events };
}

test('an early report probes at once; no answer holds the service down until a probe is answered', async () => {
  const p = scriptedProbe();
  const { watch: w, events } = watch(p.probe);
  const signal = w.signals.downSignal('s3');
  const verdict = w.report('s3');
  assert.deepEqual(p.calls, ['s3'], 'probed on the first report, before any file failed');
  assert.equal(w.report('s3'), verdict, 'one probe at a time: a second report waits for the same answer');
  await p.answer(false);
  assert.equal(await verdict, true);
  assert.equal(signal.aborted, true, 'retries waiting on S3 are told');
  assert.equal(w.active, true, 'dispatch waits');
  assert.deepEqual(w.downServices(), ['s3']);
  assert.equal(w.take(item('a'), { status: 'failed', error: { name: 'ItemError', message: 'refused', code: 's3-network', retryable: true }, detail: {} }), true);
  assert.deepEqual(events, ['s3 down', 'requeue a (s3 unreachable)']);
  await p.answer(false); // the next probe, an interval later: still down
  await p.answer(true);
  await w.signals.whenUp('s3', AbortSignal.timeout(10_000));
  assert.equal(w.active, false);
  assert.equal(w.signals.downSignal('s3').aborted, false, 'a fresh signal once S3 answers');
  assert.deepEqual(events.slice(2), ['s3 up', 'answered']);
  w.close('test over');
});

test('a service that answered is not probed again by every report within the probe interval', async () => {
  const p = scriptedProbe();
  const { watch: w, events } = watch(p.probe, 60_000);
  const verdict = w.report('s3');
  await p.answer(true);
  assert.equal(await verdict, false, 'it answered: the failure was the request\'s own');
  assert.equal(await w.report('s3'), false);
  assert.deepEqual(p.calls, ['s3'], 'one probe for both reports');
  assert.deepEqual(events, ['answered']);
  assert.equal(w.signals.downSignal('s3').aborted, false);
  w.close('test over');
});
