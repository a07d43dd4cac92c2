// Builds a real Supervisor over real child processes with the fixture processor, for the tests.
import { fileURLToPath } from 'node:url';
import type { WorkItem } from '../../src/ipc/protocol.js';
import type { JsonObject } from '../../src/ipc/json.js';
import { silentLogger, createLogger } from '../../src/observability/logger.js';
import { computeMemoryPlan } from '../../src/supervisor/memory-plan.js';
import type { MemoryPlanInput } from '../../src/supervisor/memory-plan.js';
import { MemoryWorkSource } from '../../src/supervisor/memory-work-source.js';
import { Supervisor } from '../../src/supervisor/supervisor.js';
import type { SupervisorOptions } from '../../src/supervisor/supervisor.js';

export const BEHAVIOUR_PROCESSOR = fileURLToPath(new URL('../fixtures/behaviour-processor.js', import.meta.url));
export const BROKEN_PROCESSOR = fileURLToPath(new URL('../fixtures/broken-processor.js', import.meta.url));

export function items(n: number, payload: JsonObject, prefix = 'item'): WorkItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    attempt: 1,
    sizeBytes: 1024,
    bufferBytes: 64 * 1024,
    payload,
    checkpoint: null,
  }));
}

export interface Harness {
  supervisor: Supervisor;
  source: MemoryWorkSource;
}

export function harness(
  work: WorkItem[],
  plan: Partial<MemoryPlanInput> = {},
  options: Partial<SupervisorOptions> = {},
): Harness {
  const source = new MemoryWorkSource(work);
  const memoryPlan = computeMemoryPlan({
    budgetMb: 4096,
    reserveMb: 200,
    workers: 2,
    childConcurrency: 2,
    childHeapMb: 128,
    childRssSoftMb: 400,
    childRssHardMb: 600,
    itemBufferMb: 1,
    childBaselineMb: 60,
    sharedMb: 44,
    containerLimitMb: null,
    physicalMb: 16384,
    cpus: 2,
    pausePct: 85,
    recyclePct: 95,
    ...plan,
  });
  const log = process.env.TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger();
  const supervisor = new Supervisor(source, {
    plan: memoryPlan,
    processorPath: BEHAVIOUR_PROCESSOR,
    processorOptions: {},
    batchFiles: 4,
    batchMb: 64,
    maxAttempts: 3,
    maxItemsPerChild: 0,
    rssPollMs: 100,
    shutdownGraceMs: 2000,
    startupTimeoutMs: 15000,
    crashLoopLimit: 3,
    queueLength: 100,
    recycleStaggerMs: 50,
    logLevel: process.env.TEST_LOG ? 'debug' : 'silent',
    log,
    readCgroup: () => null,
    ...options,
  });
  return { supervisor, source };
}
