// A child is disposable (the supervisor requeues its files); the supervisor is not. When the pod's memory
// limit is hit, the kernel's OOM killer must pick a child, so the supervisor raises each child's
// oom_score_adj as it forks it (raising a process of one's own needs no privilege; lowering would).
// See docs/design.md#when-the-kernel-kills.
import { readFileSync, writeFileSync } from 'node:fs';

/** How far a child's score sits above the supervisor's (the range is -1000..1000; +500 is half the limit's pages). */
export const CHILD_OOM_SCORE_RAISE = 500;
const OOM_SCORE_MAX = 1000;

/** A child's score, from the supervisor's. */
export function raisedOomScore(own: number): number {
  return Math.min(OOM_SCORE_MAX, own + CHILD_OOM_SCORE_RAISE);
}

/** Sets the child's oom_score_adj above this process's; the score set, or null where /proc has none or refuses. */
export function raiseOomScore(pid: number, proc = '/proc'): number | null {
  try {
    const own = Number.parseInt(readFileSync(`${proc}/self/oom_score_adj`, 'utf8').trim(), 10);
    if (!Number.isFinite(own)) return null;
    const score = raisedOomScore(own);
    writeFileSync(`${proc}/${pid}/oom_score_adj`, `${score}\n`);
    return score;
  } catch {
    return null;
  }
}
