// From settings and the machine to the memory plan: the container limit (cgroup), physical memory,
// CPUs, and the per-item buffer bound of the copy (part size × parts in flight + stream high-water marks).
import { availableParallelism, totalmem } from 'node:os';
import type { Settings } from '../config/settings.js';
import { SUPERVISOR_HEAP_LIMIT_MB, SUPERVISOR_NODE_FLAGS } from '../cli/node-flags.js';
import type { Logger } from '../observability/logger.js';
import { DOWNLOAD_BUFFER_BYTES } from '../source/drive/download.js';
import { defaultPartBuffers } from '../copy/default-part-buffers.js';
import { largeItemBufferBytes } from './item-buffer-bound.js';
import { streamBufferBytes } from '../target/s3/part-size.js';
import { readCgroupMemory } from '../supervisor/cgroup.js';
import { heapLimitMb } from '../supervisor/heap-limit.js';
import { computeMemoryPlan } from '../supervisor/memory-plan.js';
import type { MemoryPlan } from '../supervisor/memory-plan.js';

const MIB = 1024 * 1024;

/**
 * Pages the supervisor and every child map alike (the node binary and its libraries): each process's RSS
 * counts them, the kernel charges them once, in the reserve, not in the caps. Shown in the plan beside the
 * caps; the figure and its measurement: docs/design.md#what-the-kernel-charges.
 */
export const SHARED_PAGES_MB = 44;

/**
 * Part buffers one child holds at once across its items. The default gives every item one (a child copying
 * a single file still gets its whole upload queue); an item with a part in flight fills its next one while
 * no other item waits, and takes turns when one does (copy/part-buffers.ts). A spare one more bought no
 * throughput (docs/design.md#the-measurements-behind-the-flags).
 */
export function childPartBuffers(settings: Settings): number {
  return settings.childPartBuffers ?? defaultPartBuffers(settings.childConcurrency, settings.uploadQueueSize, settings.rangeStreams);
}

/** The buffer bound of a whole child's shared part buffers plus every item's stream buffers (the plan caps it at its items' own bounds). */
export function childBufferBytes(settings: Settings): number {
  return childPartBuffers(settings) * settings.partSizeMb * MIB + settings.childConcurrency * streamBufferBytes(settings.rangeStreams * DOWNLOAD_BUFFER_BYTES);
}

/** What the plan needs to know about the machine; read from the cgroup and the OS unless given. */
export interface MachineFacts {
  containerLimitMb: number | null;
  physicalMb: number;
  cpus: number;
}

export function machineFacts(): MachineFacts {
  const cgroup = readCgroupMemory();
  return {
    containerLimitMb: cgroup?.limitBytes != null ? Math.floor(cgroup.limitBytes / MIB) : null,
    physicalMb: Math.floor(totalmem() / MIB),
    cpus: availableParallelism(),
  };
}

export function planMemory(settings: Settings, machine: MachineFacts = machineFacts()): MemoryPlan {
  return computeMemoryPlan({
    budgetMb: settings.memoryBudgetMb,
    reserveMb: settings.supervisorReserveMb,
    workers: settings.workers,
    childConcurrency: settings.childConcurrency,
    childHeapMb: settings.childHeapMb,
    childRssSoftMb: settings.childRssSoftMb,
    childRssHardMb: settings.childRssHardMb,
    itemBufferMb: largeItemBufferBytes(settings) / MIB,
    childBufferMb: childBufferBytes(settings) / MIB,
    childBaselineMb: settings.childBaselineMb,
    sharedMb: SHARED_PAGES_MB,
    ...machine,
    pausePct: settings.budgetPausePct,
    recyclePct: settings.budgetRecyclePct,
    supervisorHeapMb: heapLimitMb(),
  });
}

/**
 * The reserve only holds if this process's own heap is capped (SUPERVISOR_NODE_FLAGS, set by the CLI's
 * shebang and the image's ENTRYPOINT): uncapped, V8 lets dead listing pages pile up. Started as a bare
 * `node dist/src/bundle-supervisor/main.js` it is not: say so.
 */
export function warnUnlessHeapCapped(plan: MemoryPlan, log: Logger): void {
  if (plan.supervisorHeapMb === null || plan.supervisorHeapMb <= SUPERVISOR_HEAP_LIMIT_MB) return;
  log.warn(
    { heapLimitMb: plan.supervisorHeapMb, supervisorReserveMb: plan.reserveMb },
    `the supervisor's V8 heap limit (${plan.supervisorHeapMb} MB) is not capped by its flags, and --supervisor-reserve-mb (${plan.reserveMb} MB) may not hold it: start it as \`supervisor\` or with node ${SUPERVISOR_NODE_FLAGS.join(' ')}`,
  );
}
