// Issue 21: a file above --range-cutoff-mb is read as --range-streams parallel Range requests, each into the
// part buffer it is uploaded from. Real CLI, real children, the fake Drive with a per-connection body rate
// (so that one stream could not carry the file alone), real s3rver: the fake sees the streams at once and
// every byte asked exactly once, the object and its checksum are right, the child stays within its plan; a
// kill mid-file resumes after the checkpointed parts; a wrong checksum is refused and leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { listKeys, objectMd5, readReport, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { Report, World } from './support/e2e.js';
import { childrenOf } from './support/process-tree.js';
import { until } from './support/within.js';

const MiB = 1024 * 1024;
const PART = 8 * MiB;
const STREAMS = 4;
const FLAGS = ['--workers', '1', '--part-size-mb', '8', '--upload-queue-size', '2', '--range-streams', String(STREAMS), '--range-cutoff-mb', '32', '--resume-min-mb', '16', '--shutdown-grace-s', '5'];

type RangeReport = Report & { memory: { plan: { itemBufferMb: number; childHardMb: number } } };

async function world(size: number, extra: Partial<FakeNodeSpec> = {}): Promise<World> {
  const nodes: FakeNodeSpec[] = [
    { id: 'R', name: 'ranges', parents: ['root'], mimeType: FOLDER_MIME },
    { id: 'big', name: 'big.bin', parents: ['R'], mimeType: 'application/octet-stream', size, ...extra },
  ];
  // 20 MB/s per connection: the streams, not the CPU, set the pace (src/fake-drive/wan.ts).
  return startWorld({ nodes, wan: { bytesPerSecond: 20_000_000 } }, { multipartExtensions: true });
}

/** The bounded ranges the fake was asked for, as [start, end] pairs (inclusive), sorted. */
function askedRanges(w: World): [number, number][] {
  return w.drive.stats.ranges
    .map((r) => {
      const m = /^bytes=(\d+)-(\d+)$/.exec(r ?? '');
      assert.ok(m, `not a bounded range: ${String(r)}`);
      return [Number(m[1]), Number(m[2])] as [number, number];
    })
    .sort((a, b) => a[0] - b[0]);
}

/** Every byte of [from, size) asked exactly once, ranges end to end. */
function assertCovers(ranges: [number, number][], from: number, size: number): void {
  let next = from;
  for (const [start, end] of ranges) {
    assert.equal(start, next, `a range starts at ${start}, expected ${next}`);
    next = end + 1;
  }
  assert.equal(next, size);
}

test('a file above the cutoff is read as parallel ranges into its parts: object and checksum right, child within its plan', async (t) => {
  const size = 12 * PART + 5;
  const w = await world(size);
  t.after(() => w.close());
  const run = await runCli(worldFlags(w, 'R', FLAGS), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  const report = (await readReport(w)) as RangeReport;
  assert.equal(report.thisRun.done, 1);
  assert.equal(w.drive.stats.peakOpenMedia, STREAMS, 'the fake served the streams at once');
  const ranges = askedRanges(w);
  assert.equal(ranges.length, 13, 'one range per part');
  assertCovers(ranges, 0, size);
  assert.equal(w.drive.stats.bytesByFile.get('big'), size, 'every byte read once');
  assert.equal(await objectMd5(w, 'big.bin'), await w.drive.trueMd5('big'));
  const { plan, peakChildUssBytes } = report.memory;
  // The plan counts a ranged file's buffers: one per stream and the upload queue's one in flight.
  assert.ok(plan.itemBufferMb >= ((STREAMS + 1) * PART) / MiB, `item buffer ${plan.itemBufferMb} MB`);
  t.diagnostic(`peak child ${(peakChildUssBytes / MiB).toFixed(1)} MB, hard cap ${plan.childHardMb} MB, item buffer ${plan.itemBufferMb.toFixed(1)} MB`);
  assert.ok(peakChildUssBytes > 0 && peakChildUssBytes < plan.childHardMb * MiB, `peak child ${peakChildUssBytes} bytes, hard cap ${plan.childHardMb} MB`);
  assert.deepEqual(await w.s3.incompleteUploadIds(), []);
});

test('a kill mid-file, then a rerun: the ranges resume after the checkpointed parts, the object is right', async (t) => {
  const size = 24 * PART + 1;
  const w = await world(size);
  t.after(() => w.close());
  const { proc, done } = startCli(worldFlags(w, 'R', FLAGS), {}, w.s3);
  const pid = proc.pid ?? -1;
  let finished = false;
  void done.then(() => (finished = true));
  await until(() => finished || w.drive.stats.bytesServed > 10 * PART, 60_000, 'copy progress');
  assert.equal(finished, false, 'the run ended before it could be killed');
  for (const child of childrenOf(pid)) process.kill(child, 'SIGKILL');
  proc.kill('SIGKILL');
  await done;

  w.drive.resetStats();
  const rerun = await runCli(worldFlags(w, 'R', FLAGS), {}, w.s3);
  assert.equal(rerun.code, 0, rerun.stderr);
  const report = await readReport(w);
  assert.equal(report.thisRun.done, 1);
  const ranges = askedRanges(w);
  const from = ranges[0]?.[0] ?? 0;
  assert.ok(from > 0 && from % PART === 0, `the rerun starts at byte ${from}, a part boundary after the checkpointed prefix`);
  assertCovers(ranges, from, size);
  assert.equal(w.drive.stats.bytesByFile.get('big'), size - from, 'the uploaded prefix is not read again');
  assert.equal(await objectMd5(w, 'big.bin'), await w.drive.trueMd5('big'));
  assert.deepEqual(await w.s3.incompleteUploadIds(), []);
});

test('a file whose bytes do not match Drive\'s checksum is refused: failed with the reason, no object, no upload left', async (t) => {
  const w = await world(6 * PART, { md5: '0'.repeat(32) });
  t.after(() => w.close());
  const run = await runCli(worldFlags(w, 'R', [...FLAGS, '--max-attempts', '1', '--drive-retries', '0']), {}, w.s3);
  assert.notEqual(run.code, 0);
  const report = await readReport(w);
  assert.equal(report.failed.length, 1, JSON.stringify(report.failed));
  assert.match(report.failed[0]?.reason ?? '', /md5 mismatch/);
  assert.ok(w.drive.stats.peakOpenMedia > 1, 'it was read as ranges');
  assert.deepEqual(await listKeys(w), []);
  assert.deepEqual(await w.s3.incompleteUploadIds(), []);
});

test('a range whose connection breaks is asked again from its first missing byte, not from its part\'s start', async (t) => {
  const size = 8 * PART;
  const w = await world(size);
  t.after(() => w.close());
  // The first media response (part 1's range) is cut 3 MiB in.
  w.drive.addFault({ route: 'media', fileId: 'big', times: 1, fault: { type: 'reset', afterBytes: 3 * MiB } });
  const run = await runCli(worldFlags(w, 'R', FLAGS), {}, w.s3);
  assert.equal(run.code, 0, run.stderr);
  const asked = w.drive.stats.ranges;
  assert.equal(asked[0], `bytes=0-${PART - 1}`);
  // A reset may drop bytes already sent but not read: the retry starts where the part's buffer stopped filling.
  const resumed = asked.map((r) => /^bytes=(\d+)-(\d+)$/.exec(r ?? '')).find((m) => m !== null && Number(m[1]) > 0 && Number(m[1]) <= 3 * MiB && Number(m[2]) === PART - 1);
  assert.ok(resumed, `no range of part 1 resumed past its start: ${asked.join(', ')}`);
  assert.equal(asked.length, 9, 'one range per part and the one retried');
  assert.equal(await objectMd5(w, 'big.bin'), await w.drive.trueMd5('big'));
});
