// One Drive pace per user (source/drive/pace-book.ts, issue 23): created on first use with the ceiling, a
// refusal cuts only its user's rate; and the child's pace reports keep the users apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OWN_SUBJECT, PaceBook, paceSubjectOf } from '../../src/source/drive/pace-book.js';
import { PACE_RULE } from '../../src/source/drive/shared-pace.js';
import { PaceReporter } from '../../src/child/pace-reporter.js';
import type { PaceReportMessage } from '../../src/ipc/protocol.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { MemoryPlan } from '../../src/supervisor/memory-plan.js';

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

test('the report\'s total of several users: rates now and requests summed, no lowest or highest, the ceiling each user\'s', () => {
  const book = new PaceBook(200);
  book.report('a@example.com', 100, 2, null);
  book.report('b@example.com', 40, 0, null);
  const a = book.pace('a@example.com').summary();
  const b = book.pace('b@example.com').summary();
  const { total, bySubject } = book.summary();
  assert.deepEqual(total, { subjects: 2, ceiling: 200, rate: Number((a.rate + b.rate).toFixed(2)), answered: 140, refused: 2, cuts: 1, raises: a.raises + b.raises });
  assert.ok(!('lowestRate' in total) && !('highestRate' in total), 'a sum of each user\'s lowest is no one\'s rate');
  assert.equal(bySubject['a@example.com']?.lowestRate, a.lowestRate, 'each user keeps theirs');
});

test('a one-drive run\'s report is its one pace, lowest and highest included', () => {
  const book = new PaceBook(200);
  book.report(OWN_SUBJECT, 10, 1, null);
  assert.deepEqual(book.summary().total, book.pace(OWN_SUBJECT).summary());
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

test('/metrics: each user\'s rate and refusals under the label subject, the totals as before', async () => {
  const book = new PaceBook(200);
  book.report('a@example.com', 100, 2, null);
  book.pace('b@example.com');
  const metrics = new Metrics({ budgetMb: 1024, childSoftMb: 140, childHardMb: 176, pauseAtMb: 900, recycleAtMb: 950 } as MemoryPlan);
  metrics.watchPace(book);
  const text = await metrics.registry.metrics();
  const a = book.pace('a@example.com').rate;
  assert.match(text, new RegExp(`^supervisor_drive_pace_subject_rate\\{subject="a@example.com"\\} ${a}$`, 'm'));
  assert.match(text, /^supervisor_drive_pace_subject_rate\{subject="b@example.com"\} 50$/m);
  assert.match(text, /^supervisor_drive_rate_limited_subject_total\{subject="a@example.com"\} 2$/m);
  assert.match(text, /^supervisor_drive_rate_limited_subject_total\{subject="b@example.com"\} 0$/m);
  assert.match(text, new RegExp(`^supervisor_drive_pace_rate ${a + 50}$`, 'm'));
  assert.match(text, /^supervisor_drive_rate_limited_total 2$/m);
  book.report('a@example.com', 0, 3, null);
  assert.match(await metrics.registry.metrics(), /^supervisor_drive_rate_limited_subject_total\{subject="a@example.com"\} 5$/m, 'counted once at each scrape');
});

test('a member that leaves gives its share back to the others; members counts who shares it now', () => {
  const book = new PaceBook(100);
  const shares = new Map<string, number>();
  const leave1 = book.join('a', 'child 1', (rate) => shares.set('child 1', rate));
  book.join('a', 'child 2', (rate) => shares.set('child 2', rate));
  const rate = book.pace('a').rate;
  assert.equal(book.members('a'), 2);
  assert.equal(shares.get('child 2'), rate / 2);
  leave1();
  assert.equal(book.members('a'), 1);
  assert.equal(shares.get('child 2'), rate, 'the one member left has the whole rate');
  leave1();
  assert.equal(book.members('a'), 1, 'leaving twice leaves once');
  assert.equal(book.members('never-used'), 0);
  const again = book.join('a', 'child 1', (r) => shares.set('child 1', r));
  assert.equal(book.members('a'), 2, 'joining again after leaving');
  assert.equal(shares.get('child 1'), rate / 2);
  again();
});

test("the child's reports: flushing one subject (it left that pace) sends that subject's counts only", () => {
  const sent: PaceReportMessage[] = [];
  const reporter = new PaceReporter((m) => sent.push(m));
  reporter.record('a', false, null);
  reporter.record('a', false, null);
  reporter.record('b', false, null);
  reporter.flush('a');
  assert.deepEqual(sent.map((m) => [m.subject, m.answered]), [['a', 2]]);
  reporter.flush('a');
  assert.equal(sent.length, 1, 'nothing counted since: nothing sent');
  reporter.flush();
  assert.deepEqual(sent.map((m) => [m.subject, m.answered]), [['a', 2], ['b', 1]]);
});
