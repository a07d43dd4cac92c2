// The org-scale bench's figures (bench/org-figures.ts, org-world.ts): drives found by key prefix, first and last
// file done, the busiest window, and the Zipf spread of the files over the drives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busiest, driveTimes, orgFigures, quantile } from '../../bench/org-figures.js';
import { buildOrg, driveSizes } from '../../bench/org-world.js';
import type { OrgDrive } from '../../bench/org-world.js';

const drive = (prefix: string, files: number): OrgDrive => ({ prefix, kind: 'user', subject: prefix, files, bytes: 0 });

test('each object counts for the drive its key names; first and last done in s from the start', () => {
  const drives = [drive('users/a@x/', 2), drive('shared-drives/S 1/', 1)];
  const objects = [
    { key: 'users/a@x/f/1.bin', size: 10, at: 3000 },
    { key: 'users/a@x/2.bin', size: 20, at: 1500 },
    { key: 'shared-drives/S 1/x.bin', size: 5, at: 2000 },
    { key: 'users/other@x/y.bin', size: 1, at: 2000 },
  ];
  const times = driveTimes(drives, objects, 1000);
  assert.deepEqual(times.map((t) => [t.drive.prefix, t.landed, t.first, t.last]), [['users/a@x/', 2, 0.5, 2], ['shared-drives/S 1/', 1, 1, 1]]);
  const fig = orgFigures(times, objects, 2);
  assert.equal(fig.complete, 2);
  assert.equal(fig.userRate.median, 1 / 1.5, 'one more file over 1.5 s');
});

test('quantiles by nearest rank; the busiest window per second', () => {
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.1), 1);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
  assert.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9), 9);
  const at = (ms: number): { key: string; size: number; at: number } => ({ key: 'k', size: 0, at: ms });
  assert.equal(busiest([at(0), at(100), at(200), at(5000), at(10_500)], 1000), 3);
});

test('the files are spread by the Zipf law over every drive, at least one each, the same for the same seed', () => {
  const sizes = driveSizes(220, 40_000, 0.8, 23);
  assert.equal(sizes.length, 220);
  assert.ok(sizes.every((n) => n >= 1));
  const sorted = [...sizes].sort((a, b) => b - a);
  assert.ok((sorted[0] ?? 0) > 20 * (sorted.at(-1) ?? 0), `a giant and many small: ${sorted[0]} vs ${sorted.at(-1)}`);
  assert.deepEqual(driveSizes(220, 40_000, 0.8, 23), sizes);
  const world = buildOrg({ users: 5, sharedDrives: 2, files: 100, skew: 0.8, minBytes: 1, maxBytes: 2, seed: 1 });
  assert.equal(world.drives.length, 7);
  assert.equal(world.nodes.filter((n) => n.mimeType !== 'application/vnd.google-apps.folder').length, world.drives.reduce((a, d) => a + d.files, 0));
  assert.ok(world.sharedDrives.every((d) => d.members?.[0]?.role === 'organizer'));
});
