// One Drive pace per user through the real CLI (issue 23): two users of the fake organisation, Ann with a quota
// of 20 requests/s (far under the default ceiling's start) and Bob with a larger one. Ann's refusals cut Ann's
// pace only: Bob's is never cut, and every file of both is copied. Counts only, no timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { listKeys, orgWorldFlags, runCli, startWorld } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { testServiceAccount } from './support/service-account.js';

const SA = 'copier@project.iam.gserviceaccount.com';
const ANN = 'ann@example.com';
const BOB = 'bob@example.com';
const QUOTA = 20;
const ANN_FILES = 80;
const BOB_FILES = 20;

const files = (owner: string, n: number): FakeNodeSpec[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${owner}-${i}`, name: `f${i}.txt`, parents: ['root'], mimeType: 'text/plain', content: `${owner} ${i}`, owners: [owner] }));

let w: World;
let keyFile: string;

before(async () => {
  const sa = testServiceAccount(SA);
  w = await startWorld({
    org: { users: [{ email: ANN }, { email: BOB }], serviceAccountEmail: SA, serviceAccountPublicKey: sa.publicKeyPem },
    nodes: [...files(ANN, ANN_FILES), ...files(BOB, BOB_FILES)],
    // Per user, whichever token each process holds for it (quota.ts); Bob's project grant is far above the ceiling.
    quota: { requestsPerSecond: QUOTA, usersPerSecond: { [BOB]: 100_000 }, burst: 5 },
  });
  keyFile = join(w.dir, 'sa.json');
  sa.writeKeyFile(keyFile, w.drive.tokenUrl);
});

after(() => w.close());

interface PaceFigures {
  ceiling: number;
  rate: number;
  lowestRate: number;
  answered: number;
  refused: number;
  cuts: number;
}

/** The users' total: what adds up across them. */
interface PaceTotal {
  subjects: number;
  ceiling: number;
  rate: number;
  lowestRate?: number;
  answered: number;
  refused: number;
  cuts: number;
}

interface PaceReport {
  exitCode: number;
  thisRun: { done: number; failed: number };
  drivePace?: PaceTotal;
  drivePaceBySubject?: Record<string, PaceFigures>;
}

test('a refusal on one user cuts that user\'s pace only; every file of both users is copied', async (t) => {
  // The default ceiling (200): Ann's pace starts at 50 requests/s, over her quota.
  const run = await runCli(orgWorldFlags(w, keyFile, 'pace', ['--s3-prefix', 'org', '--users', `${ANN},${BOB}`]), {}, w.s3);
  const report = join(w.dir, 'pace.json');
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  assert.equal((await listKeys(w, 'org/')).length, ANN_FILES + BOB_FILES);
  const r = JSON.parse(await readFile(report, 'utf8')) as PaceReport;
  assert.equal(r.thisRun.done, ANN_FILES + BOB_FILES);
  assert.equal(r.thisRun.failed, 0);
  const ann = r.drivePaceBySubject?.[ANN];
  const bob = r.drivePaceBySubject?.[BOB];
  t.diagnostic(JSON.stringify(r.drivePaceBySubject));
  assert.ok(ann && bob, 'a pace per user in the report');
  assert.deepEqual(Object.keys(r.drivePaceBySubject ?? {}).sort(), [ANN, BOB], 'one pace per user, none other');
  assert.equal(ann.ceiling, 200, 'each user has the --drive-tps ceiling');
  assert.equal(bob.ceiling, 200);
  const refusedAnn = w.drive.quota.stats.refusedByUser.get(ANN) ?? 0;
  assert.ok(refusedAnn > 0, 'Ann\'s quota never refused: the test did not press on it');
  assert.equal(w.drive.quota.stats.refusedByUser.get(BOB) ?? 0, 0, 'Bob\'s quota is far above the ceiling');
  // What the fake refused per user is what that user's pace was told.
  assert.equal(ann.refused, refusedAnn);
  assert.ok(ann.cuts >= 1, 'Ann\'s refusals cut Ann\'s pace');
  assert.equal(bob.refused, 0);
  assert.equal(bob.cuts, 0, 'Ann\'s refusals did not cut Bob\'s pace');
  assert.equal(bob.lowestRate, 50, 'Bob\'s pace never went below where it started (a quarter of the ceiling)');
  assert.ok(ann.lowestRate < bob.lowestRate, `Ann's pace came down (lowest ${ann.lowestRate}), Bob's did not`);
  assert.equal(r.drivePace?.refused, refusedAnn, 'the total is the sum of the users\'');
  assert.equal(r.drivePace?.subjects, 2);
  assert.equal(r.drivePace?.ceiling, 200, 'the total\'s ceiling is each user\'s');
  assert.equal(r.drivePace?.lowestRate, undefined, 'no lowest for the total: the users\' lowest do not add up');
  assert.match(run.stderr, new RegExp(`drive pace: [\\d.]+ requests/s at the end \\(2 users, ceiling 200 each, \\d+ cuts\\); ${refusedAnn} of \\d+ requests refused`));
  assert.match(run.stderr, new RegExp(`as ${ANN}: .* requests/s at the end \\(lowest [\\d.]+, \\d+ cuts\\); ${refusedAnn} of \\d+ refused`));
});
