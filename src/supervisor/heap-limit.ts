import { getHeapStatistics } from 'node:v8';

/** This process's V8 heap limit in MB (old space + young generation), as --max-old-space-size set it. */
export function heapLimitMb(): number {
  return Math.round(getHeapStatistics().heap_size_limit / (1024 * 1024));
}
