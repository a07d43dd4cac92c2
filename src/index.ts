// The library surface: the supervisor core is usable on its own with any processor module.
export { Supervisor } from './supervisor/supervisor.js';
export type { SupervisorOptions, SupervisorStats, RunOutcome, RecycleEvent, ChildView } from './supervisor/supervisor.js';
export { computeMemoryPlan, describeMemoryPlan } from './supervisor/memory-plan.js';
export type { MemoryPlan, MemoryPlanInput } from './supervisor/memory-plan.js';
export { MemoryWorkSource } from './supervisor/memory-work-source.js';
export type { WorkSource } from './supervisor/work-source.js';
export { readCgroupMemory } from './supervisor/cgroup.js';
export type { CgroupMemory } from './supervisor/cgroup.js';
export type { CgroupRoots } from './supervisor/cgroup-location.js';
export type { Processor, ProcessorFactory, ItemContext } from './child/processor.js';
export type { WorkItem, ItemOutcome, RecycleReason } from './ipc/protocol.js';
export { ConfigError, MemoryPlanError, PreflightError, CrashLoopError, ItemError, JournalError } from './errors.js';
export { ExitCode } from './exit-codes.js';
