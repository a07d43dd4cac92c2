// The benchmark's helper servers (source, sink, s3rver) run as service processes, like the demo's.
import { fileURLToPath } from 'node:url';
import { startServiceProcess } from '../src/demo/service-process.js';
import type { ServiceProcess } from '../src/demo/service-process.js';

export type { ServiceProcess } from '../src/demo/service-process.js';
export { ServiceStartError } from '../src/demo/service-process.js';

/** `module` is relative to bench/ (e.g. './sink-main.js'). */
export function startService<T>(module: string, env: Record<string, string>, execArgv: string[] = []): Promise<ServiceProcess<T>> {
  return startServiceProcess<T>(fileURLToPath(new URL(module, import.meta.url)), env, execArgv);
}
