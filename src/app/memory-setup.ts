// From settings and the machine to the memory plan: the container limit (cgroup), physical memory,
// CPUs, and the per-item buffer bound of the copy (part size × parts in flight + stream high-water marks).
import { availableParallelism, totalmem } from 'node:os';
import type { Settings } from '../config/settings.js';
import { DOWNLOAD_BUFFER_BYTES } from '../source/drive/download.js';
import { defaultPartBuffers } from '../copy/default-part-buffers.js';
import { childConnections, rangeConnections, rangeQueueSize } from '../copy/range-reader.js';
import { predictBufferBytes, streamBufferBytes } from '../target/s3/part-size.js';
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

/** The buffer bound of an ordinary large item at the configured part size. */
export function itemBufferBytes(settings: Settings): number {
  // A file read as ranges holds a part buffer per stream and two connections' buffers (copy/range-reader.ts).
  const queueSize = itemQueueSize(settings);
  return predictBufferBytes({ size: null, partSize: settings.partSizeMb * MIB, queueSize, streamHighWaterMark: rangeConnections(settings.rangeStreams) * DOWNLOAD_BUFFER_BYTES });
}

/** Part buffers one item may hold: its upload queue, more when large files are read as parallel ranges. */
function itemQueueSize(settings: Settings): number {
  return rangeQueueSize(settings.rangeStreams, settings.uploadQueueSize);
}

/**
 * Part buffers one child holds at once across its items. The default gives every item one (a child copying
 * a single file still gets its whole upload queue); an item with a part in flight fills its next one while
 * no other item waits, and takes turns when one does (copy/part-buffers.ts). A spare one more bought no
 * throughput (docs/design.md#the-measurements-behind-the-flags).
 */
export function childPartBuffers(settings: Settings): number {
  return settings.childPartBuffers ?? defaultPartBuffers(settings.childConcurrency, settings.uploadQueueSize, settings.rangeStreams);
}

/**
 * The buffer bound of a whole child: its shared part buffers plus its connections' buffers, the range streams
 * counted once for the child (its ranged files share them) and one connection for each other item (the plan
 * caps it at its items' own bounds).
 */
export function childBufferBytes(settings: Settings): number {
  const connections = childConnections(settings.rangeStreams, settings.childConcurrency);
  return childPartBuffers(settings) * settings.partSizeMb * MIB + streamBufferBytes(connections * DOWNLOAD_BUFFER_BYTES);
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
    itemBufferMb: itemBufferBytes(settings) / MIB,
    childBufferMb: childBufferBytes(settings) / MIB,
    childBaselineMb: settings.childBaselineMb,
    sharedMb: SHARED_PAGES_MB,
    ...machine,
    pausePct: settings.budgetPausePct,
    recyclePct: settings.budgetRecyclePct,
    supervisorHeapMb: heapLimitMb(),
  });
}
