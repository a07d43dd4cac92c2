// The supervisor raises each child's oom_score_adj so the kernel's OOM killer picks a child before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHILD_OOM_SCORE_RAISE, raisedOomScore, raiseOomScore } from '../../src/supervisor/oom-score.js';

test('a child scores the raise above the supervisor, up to the kernel maximum', () => {
  assert.equal(raisedOomScore(0), CHILD_OOM_SCORE_RAISE);
  // A Guaranteed pod's processes start at -997: its children still outrank its supervisor by the raise.
  assert.equal(raisedOomScore(-997), -997 + CHILD_OOM_SCORE_RAISE);
  assert.equal(raisedOomScore(800), 1000);
});

test('raiseOomScore writes the child the score raised from its own, and gives null where /proc has no such file', () => {
  const proc = mkdtempSync(join(tmpdir(), 'oom-score-'));
  for (const d of ['self', '42']) mkdirSync(join(proc, d));
  writeFileSync(join(proc, 'self', 'oom_score_adj'), '-997\n');
  writeFileSync(join(proc, '42', 'oom_score_adj'), '-997\n');
  assert.equal(raiseOomScore(42, proc), -497);
  assert.equal(readFileSync(join(proc, '42', 'oom_score_adj'), 'utf8').trim(), '-497');
  assert.equal(readFileSync(join(proc, 'self', 'oom_score_adj'), 'utf8').trim(), '-997', 'its own score untouched');
  assert.equal(raiseOomScore(43, proc), null);
});
