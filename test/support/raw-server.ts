// Servers that send exactly the bytes a test needs: raw TCP (or TLS with the test certificate) for the
// framings and failures node:http would smooth over.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { TEST_CERT, TEST_KEY } from './tls-fixture.js';

export type Respond = (socket: net.Socket, request: string, n: number) => void;

/** A TCP (or TLS) server that hands every complete request head to `respond`, and counts connections. */
export async function rawServer(t: { after(fn: () => void): void }, respond: Respond, secure = false): Promise<{ url: string; connections: () => number; requests: () => number }> {
  let connections = 0;
  let requests = 0;
  const open = new Set<net.Socket>();
  const onConnection = (socket: net.Socket): void => {
    connections++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      let end: number;
      while ((end = text.indexOf('\r\n\r\n')) >= 0) {
        const head = text.slice(0, end);
        text = text.slice(end + 4);
        respond(socket, head, ++requests);
      }
    });
  };
  const server = secure ? tls.createServer({ cert: TEST_CERT, key: TEST_KEY }, onConnection) : net.createServer(onConnection);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.close();
    // Keep-alive connections (ours and node:http's agent's) would hold the server, and the test, open.
    for (const socket of open) socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `${secure ? 'https' : 'http'}://127.0.0.1:${port}/`, connections: () => connections, requests: () => requests };
}

/** Write `parts` one by one, a tick apart, so the client sees them as separate reads. */
export function trickle(socket: net.Socket, parts: (string | Buffer)[], then?: () => void): void {
  const next = (i: number): void => {
    if (i === parts.length) {
      then?.();
      return;
    }
    socket.write(parts[i] as string | Buffer, () => setTimeout(() => next(i + 1), 2));
  };
  next(0);
}
