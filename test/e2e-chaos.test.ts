// Durability under chaos: while ≥ 200 files (several of 200 MiB) are copied, children are SIGKILLed again
// and again and the supervisor once; reruns continue until exit 0. Then every object must be
// byte-identical, nothing extra, no incomplete multipart upload, no orphan process, and both S3 and Drive
// must have been sent at most 1.3 × the data (issue 20, point 2): big files resume from their last part, and
// a resume in a fresh child continues the checksum state its checkpoint saved (s3/content-digest.ts) instead
// of reading the uploaded prefix from Drive again.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FOLDER_MIME, generateTree } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { head, listKeys, objectMd5, readReport, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { alive, childrenOf } from './support/process-tree.js';
import { until } from './support/within.js';

const MiB = 1024 * 1024;
const BIG = 3;
const BIG_SIZE = 200 * MiB;
const FLAGS = ['--workers', '3', '--child-concurrency', '2', '--part-size-mb', '8', '--upload-queue-size', '2', '--resume-min-mb', '64', '--batch-files', '4', '--max-attempts', '10', '--shutdown-grace-s', '5'];

// Both against s3rver with the multipart extensions and against plain s3rver (no ListParts, no Abort):
// resumes then trust their checkpoints.
for (const multipartExtensions of [true, false]) {
  describe(multipartExtensions ? 's3rver with ListParts/Abort' : 'plain s3rver', () => {
    let w: World;
    let nodes: FakeNodeSpec[];
    let dataBytes = 0;
    const seenPids = new Set<number>();
    const figures = { childKills: 0, supervisorKills: 0, runs: 0, bytesDownloaded: 0, bytesUploaded: 0, dataBytes: 0, objectsChecked: 0 };

    /** Object key by Drive file id, from each object's own metadata. */
    async function keysById(): Promise<Map<string, string>> {
      const out = new Map<string, string>();
      for (const key of await listKeys(w)) {
        const id = (await head(w, key)).metadata['drive-file-id'];
        assert.ok(id, `object ${key} has no drive-file-id`);
        assert.equal(out.has(id), false, `two objects for ${id}`);
        out.set(id, key);
      }
      return out;
    }

    function fileIds(): { id: string; size: number }[] {
      return nodes.filter((n) => n.mimeType !== FOLDER_MIME).map((n) => ({ id: n.id, size: n.size ?? 0 }));
    }

    before(async () => {
      nodes = [
        { id: 'C', name: 'chaos', parents: ['root'], mimeType: FOLDER_MIME },
        ...generateTree({ seed: 7, depth: 2, foldersPerFolder: 3, filesPerFolder: 16, sizes: [0, 1024, 40 * 1024, 300 * 1024, 1 * MiB, 3 * MiB], rootId: 'C', idPrefix: 'c-' }),
        { id: 'big', name: 'big', parents: ['C'], mimeType: FOLDER_MIME },
        ...Array.from({ length: BIG }, (_, i): FakeNodeSpec => ({ id: `big-${i}`, name: `video-${i}.mp4`, parents: ['big'], mimeType: 'video/mp4', size: BIG_SIZE })),
      ];
      w = await startWorld({ nodes }, { multipartExtensions });
      dataBytes = fileIds().reduce((s, f) => s + f.size, 0);
      figures.dataBytes = dataBytes;
      assert.ok(fileIds().length >= 200, `only ${fileIds().length} files`);
    });

    after(async () => {
      await w.close();
    });

    /** One run of the CLI; `chaos` kills children (and maybe the supervisor) while it goes. */
    async function chaosRun(childKills: number, killSupervisor: boolean): Promise<number | null> {
      figures.runs++;
      const { proc, done } = startCli(worldFlags(w, 'C', FLAGS), {}, w.s3);
      const pid = proc.pid ?? -1;
      let finished = false;
      void done.then(() => (finished = true));
      const track = setInterval(() => {
        for (const c of childrenOf(pid)) seenPids.add(c);
      }, 50);
      try {
        for (let k = 0; k < childKills && !finished; k++) {
          // Let real progress happen between kills, so there is something in flight to lose.
          const before = w.drive.stats.bytesServed;
          await until(() => finished || w.drive.stats.bytesServed > before + 40 * MiB, 60_000, 'copy progress');
          const kids = childrenOf(pid);
          const victim = kids[Math.floor(Math.random() * kids.length)];
          if (finished || victim === undefined) break;
          process.kill(victim, 'SIGKILL');
          figures.childKills++;
        }
        if (killSupervisor && !finished) {
          const before = w.drive.stats.bytesServed;
          await until(() => finished || w.drive.stats.bytesServed > before + 60 * MiB, 60_000, 'copy progress');
          if (!finished) {
            for (const c of childrenOf(pid)) seenPids.add(c);
            proc.kill('SIGKILL');
            figures.supervisorKills++;
          }
        }
        const result = await done;
        return result.code;
      } finally {
        clearInterval(track);
      }
    }

    test('chaos: repeated child kills and a supervisor kill, reruns until exit 0; everything exact, once', async (t) => {
      const codes: (number | null)[] = [];
      codes.push(await chaosRun(5, true));
      for (let i = 0; i < 6 && codes.at(-1) !== 0; i++) codes.push(await chaosRun(i === 0 ? 2 : 0, false));
      assert.equal(codes.at(-1), 0, `exit codes of the runs: ${codes.join(', ')}`);
      assert.ok(figures.childKills >= 5 && figures.supervisorKills === 1, JSON.stringify(figures));

      // No orphans: every child ever seen is gone.
      await until(() => [...seenPids].every((p) => !alive(p)), 10_000, 'all children to exit');

      // Every object byte-identical, nothing extra.
      const keys = await keysById();
      assert.equal(keys.size, fileIds().length, 'one object per file, nothing extra');
      const report = await readReport(w);
      assert.equal(report.exitCode, 0);
      let checked = 0;
      for (const { id } of fileIds()) {
        const key = keys.get(id);
        assert.ok(key, `no object for ${id}`);
        assert.equal(await objectMd5(w, key), await w.drive.trueMd5(id), `bytes of ${key}`);
        checked++;
      }
      figures.objectsChecked = checked;

      // No incomplete multipart uploads left behind (plain s3rver cannot abort one: it keeps what a kill orphaned).
      if (multipartExtensions) assert.deepEqual(await w.s3.incompleteUploadIds(), []);

      // Big files resumed instead of starting over: no part sent twice beyond the ones in flight at a kill.
      figures.bytesDownloaded = w.drive.stats.bytesServed;
      figures.bytesUploaded = w.s3.bytesReceived();
      const uploadRatio = figures.bytesUploaded / dataBytes;
      const downloadRatio = figures.bytesDownloaded / dataBytes;
      t.diagnostic(`chaos figures: ${JSON.stringify({ ...figures, uploadRatio: Number(uploadRatio.toFixed(3)), downloadRatio: Number(downloadRatio.toFixed(3)), exitCodes: codes })}`);
      assert.ok(uploadRatio <= 1.3, `uploaded ${figures.bytesUploaded} bytes for ${dataBytes} bytes of data (${uploadRatio.toFixed(2)}×)`);
      assert.ok(downloadRatio <= 1.3, `downloaded ${figures.bytesDownloaded} bytes from Drive for ${dataBytes} bytes of data (${downloadRatio.toFixed(2)}×)`);
    });

    test('a rerun after success downloads nothing', async () => {
      w.drive.resetStats();
      const r = await runCli(worldFlags(w, 'C', FLAGS), {}, w.s3);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(w.drive.stats.mediaRequests, 0);
      assert.equal(w.drive.stats.bytesServed, 0);
    });

    test('a file changed on Drive is copied again, and only that file', async () => {
      const changed = fileIds().find((f) => f.size > 0 && f.size < MiB);
      assert.ok(changed);
      w.drive.updateFile(changed.id, { seed: 4242 });
      w.drive.resetStats();
      const r = await runCli(worldFlags(w, 'C', FLAGS), {}, w.s3);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...w.drive.stats.mediaRequestsByFile.entries()], [[changed.id, 1]]);
      const key = (await keysById()).get(changed.id);
      assert.ok(key);
      assert.equal(await objectMd5(w, key), await w.drive.trueMd5(changed.id));
    });

    test('a lost journal with --skip-existing copies nothing new', async () => {
      await rm(join(w.dir, 'journal.db'), { force: true });
      await rm(join(w.dir, 'journal.db-wal'), { force: true });
      await rm(join(w.dir, 'journal.db-shm'), { force: true });
      w.drive.resetStats();
      const r = await runCli(worldFlags(w, 'C', [...FLAGS, '--skip-existing']), {}, w.s3);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(w.drive.stats.mediaRequests, 0);
      const report = await readReport(w);
      assert.equal(report.thisRun.done, 0);
      assert.equal(report.thisRun.skipped, fileIds().length);
    });
  });
}
