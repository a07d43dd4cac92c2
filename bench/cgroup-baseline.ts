// The supervisor holds the pod to its budget by the larger of its tree RSS and the cgroup's working set.
// Here the cgroup is shared with the benchmark's own source and sink servers (and whatever else runs on
// the machine), which a real pod would not hold; without allowance the supervisor would see them as its
// own and pause dispatch for good. So the budget passed adds the working set measured just before each
// run, plus a margin, while the budget the tree is judged against stays workers × hard cap + reserve.
import { readCgroupMemory } from '../src/supervisor/cgroup.js';

const MIB = 1024 * 1024;
const MARGIN_MB = 256;

export function othersInCgroupMb(): number {
  const cg = readCgroupMemory();
  if (cg === null) return 0;
  return Math.ceil(cg.workingSetBytes / MIB) + MARGIN_MB;
}
