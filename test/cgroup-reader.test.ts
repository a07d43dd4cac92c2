// The container limit from fake /proc and /sys trees: a nested v1 group (systemd, a CI runner), a Docker
// container's group bind-mounted at the mount point, a nested v2 group, and no limit anywhere. The limit is
// the smallest on the way up to the mount's root, and usage and events come from the group that holds it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupMemory } from '../src/supervisor/cgroup.js';
import type { CgroupRoots } from '../src/supervisor/cgroup-location.js';

const MiB = 1024 * 1024;
const V1_UNLIMITED = '9223372036854771712';
const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
];

/** A fake machine: /proc/self/{cgroup,mountinfo} and cgroup files, each `dir → { file: content }`. */
function fakeTree(cgroup: string[], mountinfo: string[], groups: Record<string, Record<string, string>>): CgroupRoots {
  const base = mkdtempSync(join(tmpdir(), 'cgroup-tree-'));
  mkdirSync(join(base, 'proc', 'self'), { recursive: true });
  writeFileSync(join(base, 'proc', 'self', 'cgroup'), `${cgroup.join('\n')}\n`);
  writeFileSync(join(base, 'proc', 'self', 'mountinfo'), `${mountinfo.join('\n')}\n`);
  for (const [dir, files] of Object.entries(groups)) {
    mkdirSync(join(base, dir), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(base, dir, name), `${text}\n`);
  }
  return { proc: join(base, 'proc'), fs: base };
}

function v1Group(limit: string, usage: number, oomKill = 0): Record<string, string> {
  return {
    'memory.limit_in_bytes': limit,
    'memory.usage_in_bytes': String(usage),
    'memory.stat': `cache 0\nrss ${usage}\ntotal_inactive_file ${usage / 4}`,
    'memory.oom_control': `oom_kill_disable 0\nunder_oom 0\noom_kill ${oomKill}`,
    'memory.failcnt': String(oomKill * 10),
  };
}

function v2Group(max: string, current: number, oomKill = 0): Record<string, string> {
  return {
    'memory.max': max,
    'memory.current': String(current),
    'memory.stat': `anon ${current}\ninactive_file ${current / 2}`,
    'memory.events': `low 0\nhigh 0\nmax ${oomKill * 3}\noom ${oomKill}\noom_kill ${oomKill}`,
  };
}

test('v1 nested under the mount root: the limit of an ancestor, with that ancestor\'s usage and events', () => {
  const roots = fakeTree(['4:memory:/runner/job-7/step', '0::/'], V1_MOUNTS, {
    'sys/fs/cgroup/memory': v1Group(V1_UNLIMITED, 8000 * MiB),
    'sys/fs/cgroup/memory/runner': v1Group(V1_UNLIMITED, 900 * MiB),
    'sys/fs/cgroup/memory/runner/job-7': v1Group(String(350 * MiB), 200 * MiB, 2),
    'sys/fs/cgroup/memory/runner/job-7/step': v1Group(V1_UNLIMITED, 120 * MiB),
    'sys/fs/cgroup/unified': { 'cgroup.procs': '' },
  });
  const cg = readCgroupMemory(roots);
  assert.ok(cg);
  assert.equal(cg.version, 1);
  assert.equal(cg.limitBytes, 350 * MiB);
  assert.equal(cg.dir, join(roots.fs, 'sys/fs/cgroup/memory/runner/job-7'));
  assert.equal(cg.usageBytes, 200 * MiB);
  assert.equal(cg.workingSetBytes, 150 * MiB);
  assert.deepEqual(cg.events, { max: 20, oom: 2, oomKill: 2 });
});

test('v1 nested: the smallest limit wins, wherever it is on the way up', () => {
  const roots = fakeTree(['11:cpu,cpuacct:/', '4:memory:/a/b'], V1_MOUNTS, {
    'sys/fs/cgroup/memory': v1Group(V1_UNLIMITED, 8000 * MiB),
    'sys/fs/cgroup/memory/a': v1Group(String(1024 * MiB), 400 * MiB),
    'sys/fs/cgroup/memory/a/b': v1Group(String(300 * MiB), 100 * MiB),
  });
  const cg = readCgroupMemory(roots);
  assert.equal(cg?.limitBytes, 300 * MiB);
  assert.equal(cg.usageBytes, 100 * MiB);
});

test('v1 inside Docker: the container\'s group is the mount (root /docker/<id>), /proc/self/cgroup says /docker/<id>', () => {
  const id = 'c0ffee'.repeat(10);
  const roots = fakeTree([`9:memory:/docker/${id}`, '0::/'], [
    `35 31 0:32 /docker/${id} /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime master:16 - cgroup cgroup rw,memory`,
  ], {
    'sys/fs/cgroup/memory': v1Group(String(512 * MiB), 64 * MiB),
  });
  const cg = readCgroupMemory(roots);
  assert.equal(cg?.limitBytes, 512 * MiB);
  assert.equal(cg.dir, join(roots.fs, 'sys/fs/cgroup/memory'));
  assert.equal(cg.usageBytes, 64 * MiB);
});

test('v1 inside Docker, a limit only above the mount: memory.stat\'s hierarchical_memory_limit', () => {
  const roots = fakeTree(['9:memory:/kubepods/pod1/ctr'], [
    '35 31 0:32 /kubepods/pod1/ctr /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  ], {
    'sys/fs/cgroup/memory': { ...v1Group(V1_UNLIMITED, 64 * MiB), 'memory.stat': `total_inactive_file 0\nhierarchical_memory_limit ${256 * MiB}` },
  });
  assert.equal(readCgroupMemory(roots)?.limitBytes, 256 * MiB);
});

test('v2 nested: memory.max of an ancestor, memory.current and memory.events of that group', () => {
  const roots = fakeTree(['0::/kubepods.slice/pod-1.slice/ctr.scope'], ['30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate'], {
    'sys/fs/cgroup': { 'memory.stat': 'inactive_file 0' },
    'sys/fs/cgroup/kubepods.slice': v2Group('max', 5000 * MiB),
    'sys/fs/cgroup/kubepods.slice/pod-1.slice': v2Group(String(400 * MiB), 300 * MiB, 1),
    'sys/fs/cgroup/kubepods.slice/pod-1.slice/ctr.scope': v2Group('max', 280 * MiB),
  });
  const cg = readCgroupMemory(roots);
  assert.equal(cg?.version, 2);
  assert.equal(cg.limitBytes, 400 * MiB);
  assert.equal(cg.usageBytes, 300 * MiB);
  assert.equal(cg.workingSetBytes, 150 * MiB);
  assert.deepEqual(cg.events, { max: 3, oom: 1, oomKill: 1 });
});

test('v2 in a cgroup namespace: "0::/" is the mount point itself', () => {
  const roots = fakeTree(['0::/'], ['30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw'], {
    'sys/fs/cgroup': v2Group(String(768 * MiB), 100 * MiB),
  });
  assert.equal(readCgroupMemory(roots)?.limitBytes, 768 * MiB);
});

test('unlimited everywhere: no limit, and the process\'s own group is read', () => {
  const roots = fakeTree(['4:memory:/x/y', '0::/'], V1_MOUNTS, {
    'sys/fs/cgroup/memory': v1Group(V1_UNLIMITED, 8000 * MiB),
    'sys/fs/cgroup/memory/x': v1Group(V1_UNLIMITED, 500 * MiB),
    'sys/fs/cgroup/memory/x/y': v1Group(V1_UNLIMITED, 40 * MiB),
  });
  const cg = readCgroupMemory(roots);
  assert.equal(cg?.limitBytes, null);
  assert.equal(cg.dir, join(roots.fs, 'sys/fs/cgroup/memory/x/y'));
  assert.equal(cg.usageBytes, 40 * MiB);
});

test('no memory cgroup at all (a v2 mount without the memory controller, as on a hybrid host): null', () => {
  const roots = fakeTree(['0::/'], ['41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw'], { 'sys/fs/cgroup/unified': { 'cgroup.procs': '' } });
  assert.equal(readCgroupMemory(roots), null);
});
