// Start the demo services process and wait for its ready line.
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startServiceProcess } from './service-process.js';

const SERVICES_MAIN = fileURLToPath(new URL('./services-main.js', import.meta.url));

export interface DemoServices {
  driveRootUrl: string;
  rootFolderId: string;
  token: string;
  s3Endpoint: string;
  bucket: string;
  region: string;
  totalBytes: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

type Ready = Omit<DemoServices, 'process' | 'stop'>;

export async function startDemoServices(options: { files: number; largeCount: number; largeMb: number }): Promise<DemoServices> {
  const service = await startServiceProcess<Ready>(SERVICES_MAIN, {
    DEMO_FILES: String(options.files),
    DEMO_LARGE_COUNT: String(options.largeCount),
    DEMO_LARGE_MB: String(options.largeMb),
  });
  return { ...service.ready, process: service.process, stop: () => service.stop() };
}
