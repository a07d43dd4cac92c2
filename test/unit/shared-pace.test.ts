// The shared Drive pace (drive/shared-pace.ts): its rule step by step on an injected clock, and the
// per-process pacer following the shares it is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPacer, paced } from '../../src/source/drive/pacer.js';
import { PACE_RULE, SharedPace } from '../../src/source/drive/shared-pace.js';
import { DriveError } from '../../src/source/drive/retry.js';

function approx(actual: number | undefined, expected: number, message?: string): void {
  assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${message ?? 'rate'}: ${actual} ≠ ${expected}`);
}

test('shared pace: slow start while the rate is used, then +2 % a tick, a cut on refusals, the ceiling on top', () => {
  let clock = 0;
  const rates: number[] = [];
  const pace = new SharedPace({ ceiling: 200, now: () => clock, onChange: (r) => rates.push(r) });
  assert.equal(pace.rate, 50, 'a quarter of the ceiling to start');
  const second = (answered: number): void => {
    clock += 1000;
    pace.report(answered, 0, null);
    pace.tick();
  };
  second(10);
  assert.equal(pace.rate, 50, 'not grown: less than 80 % of the rate was used');
  second(50);
  assert.equal(pace.rate, 75, 'slow start: × 1.5');
  pace.report(57, 0, null);
  pace.report(0, 3, null);
  approx(pace.rate, 75 * PACE_RULE.decrease, 'a refusal cuts at once');
  pace.report(0, 5, null);
  assert.equal(pace.stats.cuts, 1, 'refusals within the hold are the same overshoot: one cut');
  clock += 1000;
  pace.tick();
  approx(pace.rate, 63.75, 'a tick with refusals does not grow');
  second(64);
  approx(pace.rate, 63.75 * 1.02, 'after the first refusal: additive, +2 %');
  for (let i = 0; i < 100; i++) second(1000);
  assert.equal(pace.rate, 200, 'never above the ceiling');
  // Far over the quota: a second with 30 refused of 50 cuts to the answered share's rate (40 %), not below half.
  clock += 1000;
  pace.report(20, 30, null);
  assert.equal(pace.rate, 100, 'cut by half at most');
  for (let i = 0; i < 100; i++) second(1000);
  assert.equal(pace.rate, 200, 'never above the ceiling');
  assert.deepEqual([pace.stats.answered, pace.stats.refused], [10 + 50 + 57 + 64 + 200 * 1000 + 20, 38]);
  assert.equal(rates.at(-1), 200);
});

test('shared pace: equal shares pushed to every sharer on each change; a Retry-After holds them all', () => {
  let clock = 0;
  const pace = new SharedPace({ ceiling: 90, initial: 60, now: () => clock });
  const seen = new Map<string, [number, number]>();
  const leaveA = pace.join('a', (r, at) => seen.set('a', [r, at]));
  assert.deepEqual(seen.get('a'), [60, 0], 'told its share on joining');
  pace.join('b', (r, at) => seen.set('b', [r, at]));
  pace.join('c', (r, at) => seen.set('c', [r, at]));
  assert.equal(seen.get('a')?.[0], 20);
  leaveA();
  assert.equal(seen.get('b')?.[0], 30, 'a leaver\'s share goes to the others');
  const before = Date.now();
  clock += 5000;
  pace.report(9, 0, null);
  pace.report(0, 1, 3000);
  const [rate, resumeAt] = seen.get('c') ?? [0, 0];
  approx(rate, 30 * PACE_RULE.decrease);
  assert.ok(resumeAt >= before + 3000 && resumeAt <= Date.now() + 3000, 'everyone holds until the Retry-After has passed');
  assert.throws(() => new SharedPace({ ceiling: 0 }), /--drive-tps must be a positive number, got 0/);
});

test('pacer: setRate takes effect for queued waiters; paced() reports answers and refusals, not other failures', async () => {
  let clock = 0;
  const results: boolean[] = [];
  const pacer = createPacer({ tps: 1, burst: 1, now: () => clock });
  await pacer.take();
  let second = false;
  const waiting = pacer.take().then(() => (second = true));
  clock += 10;
  pacer.setRate(1000);
  clock += 10; // 10 ms at 1000/s: ten tokens' worth, capped by the burst of 1
  pacer.setRate(1000);
  await waiting;
  assert.equal(second, true);
  assert.equal(pacer.tps, 1000);
  const unpaced = createPacer({ tps: Number.POSITIVE_INFINITY, onResult: (r) => results.push(r.refused) });
  await paced(unpaced, undefined, () => Promise.resolve(1));
  await assert.rejects(paced(unpaced, undefined, () => Promise.reject(new DriveError('slow down', true, 'rate-limited', 403))), /slow down/);
  await assert.rejects(paced(unpaced, undefined, () => Promise.reject(new DriveError('gone', false, 'not-found', 404))), /gone/);
  await assert.rejects(paced(unpaced, undefined, () => Promise.reject(new Error('socket hang up'))), /hang up/);
  assert.deepEqual(results, [false, true, false], 'an answered 404 counts as answered; a broken connection says nothing');
});
