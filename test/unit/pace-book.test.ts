// One Drive pace per user (source/drive/pace-book.ts, issue 23): created on first use with the ceiling, a
// refusal cuts only its user's rate; and the child's pace reports keep the users apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OWN_SUBJECT, PaceBook, paceSubjectOf } from '../../src/source/drive/pace-book.js';
import { PACE_RULE } from '../../src/source/drive/shared-pace.js';
import { PaceReporter } from '../../src/child/pace-reporter.js';
import type { PaceReportMessage } from '../../src/ipc/protocol.js';

test('a refusal for user A cuts A\'s pace and leaves B\'s, each under the one ceiling', () => {
  const book = new PaceBook(200);
  const a = book.pace('a@example.com');
  const b = book.pace('b@example.com');
  assert.equal(book.pace('a@example.com'), a, 'one pace per subject');
  assert.equal(a.ceiling, 200);
  assert.equal(b.ceiling, 200);
  const start = b.rate;
  book.report('a@example.com', 100, 2, null);
  assert.equal(a.rate, start * PACE_RULE.decrease);
  assert.equal(b.rate, start, 'B untouched');
  assert.deepEqual(book.perSubject().map((p) => [p.subject, p.refused]), [['a@example.com', 2], ['b@example.com', 0]]);
  const total = book.total();
  assert.equal(total.subjects, 2);
  assert.equal(total.rate, a.rate + b.rate);
  assert.equal(book.summary().bySubject['a@example.com']?.cuts, 1);
  assert.equal(book.summary().bySubject['b@example.com']?.cuts, 0);
});

test('a share goes to the sharers of that subject only', () => {
  const book = new PaceBook(100);
  const told: string[] = [];
  book.join('a', 'child 1', (rate) => told.push(`a ${rate}`));
  book.join('b', 'child 1', (rate) => told.push(`b ${rate}`));
  told.length = 0;
  book.report('a', 0, 1, null);
  assert.deepEqual(told, [`a ${book.pace('a').rate}`]);
});

test('items without a subject are the run\'s own identity', () => {
  assert.equal(paceSubjectOf({}), OWN_SUBJECT);
  assert.equal(paceSubjectOf({ subject: 'a@example.com' }), 'a@example.com');
});

test('the child\'s reports: one message per subject, refusals at once', () => {
  const sent: PaceReportMessage[] = [];
  const reporter = new PaceReporter((m) => sent.push(m));
  reporter.record('a', false, null);
  reporter.record('b', false, null);
  reporter.record('a', true, 2000);
  assert.deepEqual(sent.map((m) => [m.subject, m.answered, m.refused, m.retryAfterMs]), [['a', 1, 1, 2000], ['b', 1, 0, null]]);
});
