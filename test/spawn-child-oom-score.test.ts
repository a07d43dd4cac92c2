// spawnChild raises a real child's oom_score_adj above the supervisor's as it forks it, so under the pod's
// limit the kernel kills a child (whose files the supervisor requeues) before the supervisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createLogger } from '../src/observability/logger.js';
import { raisedOomScore } from '../src/supervisor/oom-score.js';
import { spawnChild } from '../src/supervisor/spawn-child.js';
import { BEHAVIOUR_PROCESSOR } from './support/supervisor-harness.js';

const score = (pid: number | 'self'): number => Number.parseInt(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'), 10);

test('a forked child scores the raise above the supervisor', { skip: existsSync('/proc/self/oom_score_adj') ? false : 'no /proc/self/oom_score_adj here (not Linux)' }, async (t) => {
  const log = createLogger({ level: 'silent' });
  const settings = { childId: 1, concurrency: 1, processorPath: BEHAVIOUR_PROCESSOR, processorOptions: {}, logLevel: 'silent' };
  const child = spawnChild({ heapMb: 64, settings, log });
  t.after(() => child.kill('max-items'));
  // Read at once: spawnChild set it before returning, before the child had loaded anything.
  assert.equal(score(child.pid), raisedOomScore(score('self')));
  assert.ok(score(child.pid) > score('self'));
  child.kill('max-items');
  await child.exited;
});
