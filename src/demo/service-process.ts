// Fork a helper server process (the demo's fake Drive and S3, the benchmark's source and sink) and wait
// for its one-line JSON ready message on stdout.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServiceProcess<T> {
  ready: T;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

export async function startServiceProcess<T>(path: string, env: Record<string, string>, execArgv: string[] = []): Promise<ServiceProcess<T>> {
  const proc = fork(path, [], { execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const stdout = proc.stdout;
  if (!stdout) throw new ServiceStartError(`${path}: no stdout`);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    proc.once('exit', (code, signal) => reject(new ServiceStartError(`${path} exited during start-up (${signal ?? `code ${code ?? '?'}`})`)));
  });
  return {
    ready: JSON.parse(line) as T,
    process: proc,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
