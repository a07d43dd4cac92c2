// The memory arithmetic that is the product's core promise: workers × child hard cap + supervisor reserve
// must fit the budget, and the budget must fit the container. Computed once at start-up, printed, and
// refused (exit 2) when it cannot hold. It is arithmetic on what the kernel charges: each child's own
// pages (USS) against its caps, and the pages every process shares (the node binary, libraries) once, in
// the reserve — summed RSS counts them once per process (docs/design.md#what-the-kernel-charges has the measurements).
import { MemoryPlanError } from '../errors.js';

export interface MemoryPlanInput {
  /** --memory-budget-mb; undefined → from the container limit, or half the physical memory. */
  budgetMb?: number | undefined;
  reserveMb: number;
  workers?: number | undefined;
  childConcurrency: number;
  childHeapMb?: number | undefined;
  childRssSoftMb?: number | undefined;
  childRssHardMb?: number | undefined;
  /** The predicted buffer bound of one ordinary item (part size × parts in flight + high-water marks). */
  itemBufferMb: number;
  /** The buffer bound of a whole child when its items share one (below concurrency × itemBufferMb); default: that product. */
  childBufferMb?: number | undefined;
  /** A child's own pages (USS) with its libraries loaded and nothing in flight. */
  childBaselineMb: number;
  /** Pages every process of the tree maps (node binary, libraries): in each RSS, charged once, in the reserve. */
  sharedMb: number;
  containerLimitMb: number | null;
  physicalMb: number;
  cpus: number;
  /** Dispatch pauses above this share of the budget; the largest child is recycled above the second. */
  pausePct: number;
  recyclePct: number;
  /** The supervisor process's own V8 heap limit, MB, when known: printed beside the reserve that must cover it. */
  supervisorHeapMb?: number | undefined;
}

export interface MemoryPlan {
  budgetMb: number;
  budgetSource: 'flag' | 'container-limit' | 'physical-memory';
  containerLimitMb: number | null;
  reserveMb: number;
  /** Of the reserve: the shared pages, which are also in each child's RSS (not in its caps). */
  sharedMb: number;
  supervisorHeapMb: number | null;
  workers: number;
  childConcurrency: number;
  childHeapMb: number;
  childSoftMb: number;
  childHardMb: number;
  /** The caps are on a child's USS; its RSS is about that plus sharedMb. */
  childBaselineMb: number;
  itemBufferMb: number;
  /** Buffer bytes one child holds at most, all its items together. */
  childBufferMb: number;
  /** Buffer bytes one child may have admitted at once: soft cap − baseline. */
  childItemBudgetMb: number;
  pauseAtMb: number;
  recycleAtMb: number;
}

// Keep 10% of a container limit for the kernel's own charges (page tables, sockets, slab) — the
// working set is what gets a pod OOM-killed, not just our RSS.
const CONTAINER_HEADROOM = 0.9;
const MAX_DEFAULT_WORKERS = 16;

function defaultBudget(input: MemoryPlanInput): Pick<MemoryPlan, 'budgetMb' | 'budgetSource'> {
  if (input.budgetMb !== undefined) return { budgetMb: input.budgetMb, budgetSource: 'flag' };
  if (input.containerLimitMb !== null) {
    return { budgetMb: Math.floor(input.containerLimitMb * CONTAINER_HEADROOM), budgetSource: 'container-limit' };
  }
  return { budgetMb: Math.floor(input.physicalMb / 2), budgetSource: 'physical-memory' };
}

export function computeMemoryPlan(input: MemoryPlanInput): MemoryPlan {
  const { budgetMb, budgetSource } = defaultBudget(input);
  const concurrency = input.childConcurrency;
  // A child holds its baseline plus, at worst, its buffer bound (its items' bounds, or the smaller bound they
  // share); the hard cap leaves that bound again for allocator slack and GC lag on the bytes that move
  // (Buffers are freed by GC) — the baseline, its own pages only, does not swing with them.
  const childBufferMb = Math.min(concurrency * input.itemBufferMb, input.childBufferMb ?? Number.POSITIVE_INFINITY);
  const hardDefault = Math.ceil(input.childBaselineMb + 2 * childBufferMb);
  const childHardMb = input.childRssHardMb ?? hardDefault;
  const childSoftMb = input.childRssSoftMb ?? Math.floor(childHardMb * 0.8);
  const childHeapMb = input.childHeapMb ?? Math.max(128, Math.min(512, Math.floor(childHardMb / 2)));

  if (childSoftMb >= childHardMb) {
    throw new MemoryPlanError(
      `--child-rss-soft-mb (${childSoftMb}) must be below --child-rss-hard-mb (${childHardMb}); try --child-rss-soft-mb ${Math.floor(childHardMb * 0.8)}`,
    );
  }
  if (input.containerLimitMb !== null && budgetMb > input.containerLimitMb) {
    throw new MemoryPlanError(
      `--memory-budget-mb ${budgetMb} exceeds the container memory limit ${input.containerLimitMb} MB; try --memory-budget-mb ${Math.floor(input.containerLimitMb * CONTAINER_HEADROOM)}`,
    );
  }
  const fit = Math.floor((budgetMb - input.reserveMb) / childHardMb);
  const workers =
    input.workers ?? Math.max(1, Math.min(fit, Math.max(2, input.cpus * 2), MAX_DEFAULT_WORKERS));
  const needed = workers * childHardMb + input.reserveMb;
  if (needed > budgetMb) {
    const hint =
      fit >= 1
        ? `--workers ${fit}`
        : `--memory-budget-mb ${input.reserveMb + childHardMb} or a smaller --child-rss-hard-mb`;
    throw new MemoryPlanError(
      `memory plan does not fit: --workers ${workers} × --child-rss-hard-mb ${childHardMb} + --supervisor-reserve-mb ${input.reserveMb} = ${needed} MB > --memory-budget-mb ${budgetMb} (${budgetSource}); try ${hint}`,
    );
  }
  const childItemBudgetMb = Math.max(0, childSoftMb - input.childBaselineMb);
  return {
    budgetMb,
    budgetSource,
    containerLimitMb: input.containerLimitMb,
    reserveMb: input.reserveMb,
    sharedMb: input.sharedMb,
    supervisorHeapMb: input.supervisorHeapMb ?? null,
    workers,
    childConcurrency: concurrency,
    childHeapMb,
    childSoftMb,
    childHardMb,
    childBaselineMb: input.childBaselineMb,
    itemBufferMb: input.itemBufferMb,
    childBufferMb,
    childItemBudgetMb,
    pauseAtMb: Math.floor((budgetMb * input.pausePct) / 100),
    recycleAtMb: Math.floor((budgetMb * input.recyclePct) / 100),
  };
}

/** The plan as the operator reads it at start-up. */
export function describeMemoryPlan(plan: MemoryPlan): string {
  const limit = plan.containerLimitMb === null ? 'none' : `${plan.containerLimitMb} MB`;
  return [
    `memory plan: budget ${plan.budgetMb} MB (${plan.budgetSource}; container limit ${limit})`,
    `  supervisor reserve ${plan.reserveMb} MB (its own pages + ~${plan.sharedMb} MB all processes share, charged once${plan.supervisorHeapMb === null ? '' : `; its V8 heap limit ${plan.supervisorHeapMb} MB`}) + ${plan.workers} children × hard cap ${plan.childHardMb} MB = ${plan.reserveMb + plan.workers * plan.childHardMb} MB`,
    `  per child, its own pages (USS): baseline ${plan.childBaselineMb} MB, soft cap ${plan.childSoftMb} MB (drain), hard cap ${plan.childHardMb} MB (kill); as RSS ~${plan.childSoftMb + plan.sharedMb}/${plan.childHardMb + plan.sharedMb} MB; heap ${plan.childHeapMb} MB, ${plan.childConcurrency} items at once`,
    `  buffer bound per item ${plan.itemBufferMb.toFixed(1)} MB, per child ${plan.childBufferMb.toFixed(1)} MB (its items share it); admitted per child up to ${plan.childItemBudgetMb} MB`,
    `  pod: dispatch pauses at ${plan.pauseAtMb} MB, largest child recycled at ${plan.recycleAtMb} MB`,
  ].join('\n');
}
