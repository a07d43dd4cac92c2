// Exactly once under kills, over a delta pass (issue 22): a full pass, then many changes on Drive — content
// edits (large files among them, resumable), renames, moves, a renamed folder, a folder moved, trashed,
// deleted and moved-out files, new files — then the delta run with children SIGKILLed again and again and the
// supervisor once, reruns until exit 0. Every object of Drive's final tree must be at its key with Drive's
// bytes; the only other objects are the old keys --deletes keep keeps by design (the report's wouldDelete,
// all keys of the full pass); a last pass with --deletes delete leaves exactly the final tree.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FOLDER_MIME, generateTree } from '../src/fake-drive/index.js';
import type { FakeNodeSpec } from '../src/fake-drive/index.js';
import { head, listKeys, objectMd5, readReport, runCli, startCli, startWorld, worldFlags } from './support/e2e.js';
import type { World } from './support/e2e.js';
import { alive, childrenOf } from './support/process-tree.js';
import { until } from './support/within.js';

const MiB = 1024 * 1024;
const ROOT = 'D';
const FLAGS = ['--workers', '3', '--child-concurrency', '2', '--part-size-mb', '8', '--upload-queue-size', '2', '--resume-min-mb', '32', '--batch-files', '4', '--max-attempts', '10', '--shutdown-grace-s', '5'];

interface ModelNode {
  name: string;
  parent: string;
  folder: boolean;
}

/** The test's own copy of the Drive tree, changed alongside the fake Drive: what the final keys must be. */
class Model {
  readonly nodes = new Map<string, ModelNode>();
  constructor(specs: FakeNodeSpec[]) {
    for (const s of specs) this.nodes.set(s.id, { name: s.name, parent: s.parents[0] ?? '', folder: s.mimeType === FOLDER_MIME });
  }
  /** Key by file id of every file inside ROOT (no prefix: keys are paths below the copied folder). */
  keys(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [id, n] of this.nodes) {
      if (n.folder) continue;
      const names = [n.name];
      let at = n.parent;
      for (let depth = 0; at !== ROOT && depth < 50; depth++) {
        const p = this.nodes.get(at);
        if (p === undefined) break;
        names.unshift(p.name);
        at = p.parent;
      }
      if (at === ROOT) out.set(id, names.join('/'));
    }
    return out;
  }
}

for (const multipartExtensions of [true, false]) {
  describe(`delta under chaos, ${multipartExtensions ? 's3rver with ListParts/Abort' : 'plain s3rver'}`, () => {
    let w: World;
    let model: Model;
    let initialKeys: Set<string>;
    const seenPids = new Set<number>();
    const figures = { childKills: 0, supervisorKills: 0, runs: 0, changes: 0, objectsChecked: 0, keptOldKeys: 0, bytesServedByDelta: 0 };

    before(async () => {
      const nodes: FakeNodeSpec[] = [
        { id: ROOT, name: 'delta-chaos', parents: ['root'], mimeType: FOLDER_MIME },
        ...generateTree({ seed: 11, depth: 2, foldersPerFolder: 3, filesPerFolder: 8, sizes: [0, 1024, 40 * 1024, 300 * 1024, 1 * MiB], rootId: ROOT, idPrefix: 'x-' }),
        { id: 'big', name: 'big', parents: [ROOT], mimeType: FOLDER_MIME },
        ...Array.from({ length: 2 }, (_, i): FakeNodeSpec => ({ id: `big-${i}`, name: `video-${i}.mp4`, parents: ['big'], mimeType: 'video/mp4', size: 64 * MiB })),
      ];
      model = new Model(nodes);
      w = await startWorld({ nodes }, { multipartExtensions });
    });

    after(async () => {
      await w.close();
    });

    /** Many changes of every kind, on the fake Drive and in the model. */
    function mutate(): void {
      const add = (specs: FakeNodeSpec[]): void => {
        w.drive.addNodes(specs);
        for (const s of specs) model.nodes.set(s.id, { name: s.name, parent: s.parents[0] ?? '', folder: s.mimeType === FOLDER_MIME });
        figures.changes += specs.length;
      };
      const node = (id: string): ModelNode => {
        const n = model.nodes.get(id);
        assert.ok(n, id);
        return n;
      };
      const small = [...model.nodes.entries()].filter(([id, n]) => !n.folder && !id.startsWith('big')).map(([id]) => id).sort();
      const take = (n: number): string[] => small.splice(0, n);
      const folders = [...model.nodes.entries()].filter(([, n]) => n.folder && n.name.startsWith('folder-')).map(([id]) => id).sort();
      for (const [k, id] of take(15).entries()) w.drive.updateFile(id, { seed: 9000 + k });
      for (const [k, id] of ['big-0', 'big-1'].entries()) w.drive.updateFile(id, { seed: 7000 + k });
      for (const [k, id] of take(8).entries()) {
        w.drive.updateFile(id, { name: `renamed-${k}.bin` });
        node(id).name = `renamed-${k}.bin`;
      }
      add([{ id: 'dest', name: 'dest', parents: [ROOT], mimeType: FOLDER_MIME }]);
      // Moved into a new folder, with distinct names so that no clash suffix is involved.
      const names = new Set<string>();
      const moved = small.filter((id) => !names.has(node(id).name) && names.add(node(id).name)).slice(0, 8);
      for (const id of moved) {
        small.splice(small.indexOf(id), 1);
        w.drive.moveNode(id, ['dest']);
        node(id).parent = 'dest';
      }
      for (const id of take(5)) {
        w.drive.updateFile(id, { trashed: true });
        model.nodes.delete(id);
      }
      for (const id of take(3)) {
        w.drive.removeNode(id);
        model.nodes.delete(id);
      }
      for (const id of take(2)) {
        w.drive.moveNode(id, ['root']);
        node(id).parent = 'root';
      }
      // A top folder renamed (its subtree re-keyed), a second-level folder moved up to the top.
      const level1 = folders.filter((id) => node(id).name.startsWith('folder-0-'));
      const level2 = folders.filter((id) => node(id).name.startsWith('folder-1-') && node(id).parent !== level1[0]);
      assert.ok(level1[0] && level2[0], 'folders to rename and move');
      w.drive.updateFile(level1[0], { name: 'renamed-folder' });
      node(level1[0]).name = 'renamed-folder';
      w.drive.moveNode(level2[0], [ROOT]);
      node(level2[0]).parent = ROOT;
      figures.changes += 15 + 2 + 8 + moved.length + 5 + 3 + 2 + 2;
      add([
        { id: 'big-new', name: 'video-new.mp4', parents: ['big'], mimeType: 'video/mp4', size: 48 * MiB },
        ...Array.from({ length: 10 }, (_, k): FakeNodeSpec => ({ id: `new-${k}`, name: `new-${k}.bin`, parents: [k % 2 === 0 ? ROOT : (folders[k] ?? ROOT)], mimeType: 'application/octet-stream', size: 1000 * (k + 1) })),
      ]);
    }

    /** One run of the CLI; children (and maybe the supervisor) are SIGKILLed as the copy makes progress. */
    async function chaosRun(childKills: number, killSupervisor: boolean): Promise<number | null> {
      figures.runs++;
      const { proc, done } = startCli(worldFlags(w, ROOT, FLAGS), {}, w.s3);
      const pid = proc.pid ?? -1;
      let finished = false;
      void done.then(() => (finished = true));
      const track = setInterval(() => {
        for (const c of childrenOf(pid)) seenPids.add(c);
      }, 50);
      try {
        for (let k = 0; k < childKills && !finished; k++) {
          const before = w.drive.stats.bytesServed;
          await until(() => finished || w.drive.stats.bytesServed > before + 20 * MiB, 60_000, 'copy progress');
          const kids = childrenOf(pid);
          const victim = kids[Math.floor(Math.random() * kids.length)];
          if (finished || victim === undefined) break;
          process.kill(victim, 'SIGKILL');
          figures.childKills++;
        }
        if (killSupervisor && !finished) {
          const before = w.drive.stats.bytesServed;
          await until(() => finished || w.drive.stats.bytesServed > before + 20 * MiB, 60_000, 'copy progress');
          if (!finished) {
            for (const c of childrenOf(pid)) seenPids.add(c);
            proc.kill('SIGKILL');
            figures.supervisorKills++;
          }
        }
        return (await done).code;
      } finally {
        clearInterval(track);
      }
    }

    test('a delta with children and the supervisor SIGKILLed, reruns until exit 0: every object right, only kept old keys extra', async (t) => {
      const full = await runCli(worldFlags(w, ROOT, FLAGS), {}, w.s3);
      assert.equal(full.code, 0, full.stderr.slice(-2000));
      initialKeys = new Set(await listKeys(w));
      assert.deepEqual([...initialKeys].sort(), [...model.keys().values()].sort(), 'the model keys the tree as the full pass did');

      mutate();
      w.drive.resetStats();
      const codes: (number | null)[] = [await chaosRun(3, true)];
      for (let i = 0; i < 6 && codes.at(-1) !== 0; i++) codes.push(await chaosRun(i === 0 ? 1 : 0, false));
      assert.equal(codes.at(-1), 0, `exit codes of the runs: ${codes.join(', ')}`);
      assert.ok(figures.childKills >= 3 && figures.supervisorKills === 1, JSON.stringify(figures));
      figures.bytesServedByDelta = w.drive.stats.bytesServed;
      await until(() => [...seenPids].every((p) => !alive(p)), 10_000, 'all children to exit');

      const report = (await readReport(w)) as unknown as { exitCode: number; pass: { kind: string; wouldDelete: { key: string }[]; wouldDeleteTotal: number } };
      assert.equal(report.pass.kind, 'delta', 'the interrupted delta was repeated from its token, not replaced by a full pass');

      // Every file of Drive's final tree at its key, with Drive's bytes and its id.
      const expected = model.keys();
      const keys = new Set(await listKeys(w));
      for (const [id, key] of expected) {
        assert.ok(keys.has(key), `no object at ${key} for ${id}`);
        assert.equal(await objectMd5(w, key), await w.drive.trueMd5(id), `bytes of ${key}`);
        assert.equal((await head(w, key)).metadata['drive-file-id'], id, `${key} is ${id}'s`);
        figures.objectsChecked++;
      }
      // Nothing else but the old keys --deletes keep keeps, all listed in the report.
      const wanted = new Set(expected.values());
      const extra = [...keys].filter((k) => !wanted.has(k)).sort();
      figures.keptOldKeys = extra.length;
      assert.deepEqual(extra, report.pass.wouldDelete.map((g) => g.key).sort(), 'the extra objects are exactly what --deletes keep kept');
      assert.equal(report.pass.wouldDeleteTotal, extra.length);
      assert.deepEqual(extra.filter((k) => !initialKeys.has(k)), [], 'every kept object is a key of the full pass');
      assert.ok(extra.length >= 8 + 8 + 5 + 3 + 2, `old keys of the renamed, moved, trashed, deleted and moved-out files are kept: ${extra.length}`);
      if (multipartExtensions) assert.deepEqual(await w.s3.incompleteUploadIds(), []);
      t.diagnostic(`delta chaos figures: ${JSON.stringify({ ...figures, exitCodes: codes })}`);
    });

    test('a last pass with --deletes delete leaves exactly the final tree; an idle delta after it copies nothing', async () => {
      const r = await runCli(worldFlags(w, ROOT, [...FLAGS, '--deletes', 'delete']), {}, w.s3);
      assert.equal(r.code, 0, r.stderr.slice(-2000));
      assert.match(r.stderr, /--deletes delete: \d+ objects deleted/);
      assert.deepEqual(await listKeys(w), [...model.keys().values()].sort());
      w.drive.resetStats();
      const idle = await runCli(worldFlags(w, ROOT, FLAGS), {}, w.s3);
      assert.equal(idle.code, 0, idle.stderr.slice(-2000));
      assert.match(idle.stderr, /delta pass: 0 changes/);
      assert.equal(w.drive.stats.mediaRequests, 0);
    });
  });
}
