// Fork a helper server (source, sink, s3rver) and wait for its one-line JSON ready message.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ServiceProcess<T> {
  ready: T;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

export async function startService<T>(module: string, env: Record<string, string>, execArgv: string[] = []): Promise<ServiceProcess<T>> {
  const path = fileURLToPath(new URL(module, import.meta.url));
  const proc = fork(path, [], { execArgv, stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const stdout = proc.stdout;
  if (!stdout) throw new ServiceStartError(`${module}: no stdout`);
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: stdout });
    rl.once('line', (l) => {
      rl.close();
      resolve(l);
    });
    proc.once('exit', (code, signal) => reject(new ServiceStartError(`${module} exited during start-up (${signal ?? `code ${code ?? '?'}`})`)));
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
