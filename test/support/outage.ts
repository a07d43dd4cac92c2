// Outage tests (issue 20 point 5): a service that goes away and comes back — a TCP relay in front of a real
// server (fake Drive, s3rver) that the test closes (connection refused, open sockets cut) and reopens on the
// same port; the relay sits outside the servers, so neither knows it is there — and what a run spent on it.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';

export interface TcpRelay {
  /** http://127.0.0.1:<port>, the same across down/up. */
  endpoint: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startRelay(target: URL): Promise<TcpRelay> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const s of open) s.destroy();
    });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    down,
    up: () => new Promise((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: down,
  };
}

/** Resolves once `text` appears in the run's log (stdout); rejects with what was seen if the run ends first. */
export function waitForLog(proc: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: string): void => {
      seen += d;
      if (!seen.includes(text)) return;
      proc.stdout?.off('data', onData);
      resolve();
    };
    proc.stdout?.on('data', onData);
    proc.once('close', () => reject(new Error(`the run ended before "${text}":\n${seen.slice(-3000)}`)));
  });
}

/** The most attempts any file of the journal counted (0: none was requeued as a failure). */
export function maxAttempts(state: string): number {
  const db = new Database(state, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], { n: number }>("SELECT COALESCE(MAX(attempts), 0) AS n FROM items WHERE key <> ''").get()?.n ?? -1;
  } finally {
    db.close();
  }
}

/** Retries each file spent on failures of `code` (the children's 'retrying after a transient error' lines). */
export function retriesByFile(stdout: string, code: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.includes('retrying after a transient error')) continue;
    const entry = JSON.parse(line) as { fileId?: string; code?: string };
    if (entry.code !== code || entry.fileId === undefined) continue;
    counts.set(entry.fileId, (counts.get(entry.fileId) ?? 0) + 1);
  }
  return counts;
}
