// Where this process's memory cgroup is on disk, and its ancestors up to the mount's root. /proc/self/cgroup
// names the group in the hierarchy's terms (v1: the `memory` controller's line, v2: the `0::` line);
// /proc/self/mountinfo says which part of the hierarchy is mounted where. Inside a Docker container on v1
// the container's own group is bind-mounted at /sys/fs/cgroup/memory (mount root /docker/<id>) while
// /proc/self/cgroup still says /docker/<id>; under systemd or a runner the group is nested below the mount
// (/sys/fs/cgroup/memory/process_api/<id>), where the mount's root says "unlimited" (issue 20, point 6).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where /proc and the file system's root are: '/proc' and '/' for real, a fake tree in tests. */
export interface CgroupRoots {
  proc: string;
  fs: string;
}

export const REAL_ROOTS: CgroupRoots = { proc: '/proc', fs: '/' };

export interface CgroupLocation {
  version: 1 | 2;
  /** The process's own group first, then each parent, ending at the mount point (the highest one visible). */
  dirs: string[];
}

interface CgroupMount {
  root: string;
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    // Absent files are normal (no cgroup, another version, a restricted /sys): the caller falls back.
    return null;
  }
}

/** mountinfo's escapes (space, tab, newline, backslash as \ooo octal). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** The cgroup mounts of /proc/self/mountinfo: "id parent dev root mountpoint opts [optional...] - type source superopts". */
function cgroupMounts(text: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    const root = fields[3];
    const mountPoint = fields[4];
    const fsType = fields[dash + 1];
    if (dash < 6 || root === undefined || mountPoint === undefined || (fsType !== 'cgroup' && fsType !== 'cgroup2')) continue;
    out.push({ root: unescape(root), mountPoint: unescape(mountPoint), fsType, superOptions: (fields[dash + 3] ?? '').split(',') });
  }
  return out;
}

/** The group's path in the hierarchy, from /proc/self/cgroup ("id:controllers:path" lines). */
function ownGroup(text: string, version: 1 | 2): string | null {
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1).trim();
    if (version === 2 && line.slice(0, first) === '0' && controllers === '') return path;
    if (version === 1 && controllers.split(',').includes('memory')) return path;
  }
  return null;
}

/**
 * The group's directory and its ancestors up to the mount point. A group outside the mounted part of the
 * hierarchy (a namespace or bind mount we cannot map) is read at the mount point: what the mount shows
 * is then the process's own view of its container.
 */
function groupDirs(group: string, mount: CgroupMount, fsRoot: string): string[] {
  const root = mount.root === '/' ? '' : mount.root.replace(/\/+$/, '');
  const inside = group === root || group.startsWith(`${root}/`) ? group.slice(root.length) : '';
  const parts = inside.split('/').filter((p) => p.length > 0 && p !== '.' && p !== '..');
  const base = join(fsRoot, mount.mountPoint);
  const dirs: string[] = [];
  for (let depth = parts.length; depth >= 0; depth--) dirs.push(join(base, ...parts.slice(0, depth)));
  return dirs;
}

function locate(version: 1 | 2, cgroupText: string, mounts: CgroupMount[], roots: CgroupRoots): CgroupLocation | null {
  const group = ownGroup(cgroupText, version);
  const mount = mounts.find((m) => (version === 2 ? m.fsType === 'cgroup2' : m.fsType === 'cgroup' && m.superOptions.includes('memory')));
  if (group === null || mount === undefined) return null;
  const dirs = groupDirs(group, mount, roots.fs);
  // A v2 mount without the memory controller (the "unified" half of a hybrid v1 host) has no memory files.
  const probe = version === 2 ? 'memory.current' : 'memory.usage_in_bytes';
  if (dirs[0] === undefined || readText(join(dirs[0], probe)) === null) return null;
  return { version, dirs };
}

/** This process's memory cgroup; null when there is none (a laptop, macOS) or /proc is not readable. */
export function locateMemoryCgroup(roots: CgroupRoots = REAL_ROOTS): CgroupLocation | null {
  const cgroupText = readText(join(roots.proc, 'self', 'cgroup'));
  const mountText = readText(join(roots.proc, 'self', 'mountinfo'));
  if (cgroupText === null || mountText === null) return null;
  const mounts = cgroupMounts(mountText);
  // A hybrid host mounts both; the memory controller is on v1 there, so v1 first.
  return locate(1, cgroupText, mounts, roots) ?? locate(2, cgroupText, mounts, roots);
}
