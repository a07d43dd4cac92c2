// A child is a member of a user's pace only while it holds that user's files (issue 23), over real child
// processes: once every file of user A is settled, while the child still copies user B's, A's pace has no member
// left, so a share of A's rate is no longer set aside for a child that does not use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaceBook, paceSubjectOf } from '../src/source/drive/pace-book.js';
import type { RateSharing } from '../src/supervisor/supervisor.js';
import { harness, items } from './support/supervisor-harness.js';

const A_FILES = 3;
const B_FILES = 30;

function sharing(book: PaceBook): RateSharing {
  return {
    subjectOf: (item) => paceSubjectOf(item.payload),
    join: (subject, id, apply) => book.join(subject, id, apply),
    report: (subject, answered, refused, retryAfterMs) => book.report(subject, answered, refused, retryAfterMs),
  };
}

test("a child leaves a user's pace when it holds none of that user's files, while it copies another user's", async () => {
  const book = new PaceBook(100);
  const work = [...items(A_FILES, { behaviour: 'ok', ms: 1, subject: 'a@example.com' }, 'a'), ...items(B_FILES, { behaviour: 'ok', ms: 5, subject: 'b@example.com' }, 'b')];
  const h = harness(work, { workers: 1, childConcurrency: 2 }, { pace: sharing(book) });
  const settled = { a: 0, b: 0 };
  let whenADone: { aMembers: number; bSettled: number; children: number } | null = null;
  // The most members B's pace had while the run went on: the child joined it (and no other did).
  let bMembersSeen = 0;
  h.supervisor.on('item-settled', ({ item }) => {
    bMembersSeen = Math.max(bMembersSeen, book.members('b@example.com'));
    if (item.id.startsWith('a-') && ++settled.a === A_FILES) whenADone = { aMembers: book.members('a@example.com'), bSettled: settled.b, children: h.supervisor.childViews().length };
    if (item.id.startsWith('b-')) settled.b++;
  });
  assert.equal(await h.supervisor.run(), 'completed');
  assert.equal(h.source.settleCalls.length, A_FILES + B_FILES);
  assert.ok(whenADone, "A's files were settled");
  const at: { aMembers: number; bSettled: number; children: number } = whenADone;
  assert.ok(at.bSettled < B_FILES && at.children === 1, `the run went on after A's last file (${at.bSettled} of B's settled, ${at.children} child)`);
  assert.equal(at.aMembers, 0, "A's pace kept a member that holds none of A's files");
  assert.equal(bMembersSeen, 1, "the child was a member of B's pace while it copied B's files");
  assert.equal(book.members('b@example.com'), 0, 'after the run, no member of any pace');
});
