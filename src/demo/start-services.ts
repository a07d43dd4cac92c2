// Start the demo services process and wait for its ready line.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

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

export async function startDemoServices(options: { files: number; largeCount: number; largeMb: number }): Promise<DemoServices> {
  const proc = fork(SERVICES_MAIN, [], {
    execArgv: [],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    env: { ...process.env, DEMO_FILES: String(options.files), DEMO_LARGE_COUNT: String(options.largeCount), DEMO_LARGE_MB: String(options.largeMb) },
  });
  const stdout = proc.stdout;
  if (!stdout) throw new Error('demo services: no stdout');
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    proc.once('exit', (code, signal) => reject(new Error(`demo services exited during start-up (${signal ?? `code ${code ?? '?'}`})`)));
  });
  const ready = JSON.parse(line) as Omit<DemoServices, 'process' | 'stop'>;
  return {
    ...ready,
    process: proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
