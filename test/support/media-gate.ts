// A pass-through HTTP proxy in front of the fake Drive that holds the media download of one file until
// released: a run through it stays in its copy phase, children alive, for as long as a test needs.
import { createServer, request } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MediaGate {
  /** The rootUrl to give the supervisor instead of the fake Drive's. */
  rootUrl: string;
  /** Resolves when the held file's media has been asked for. */
  held: Promise<void>;
  release(): void;
  close(): Promise<void>;
}

export async function startMediaGate(upstream: string, fileId: string): Promise<MediaGate> {
  const target = new URL(upstream);
  const parked: [IncomingMessage, ServerResponse][] = [];
  let released = false;
  let onHeld = (): void => undefined;
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const out = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (!released && url.includes(`/files/${fileId}?`) && url.includes('alt=media')) {
      parked.push([req, res]);
      onHeld();
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    rootUrl: `http://127.0.0.1:${port}/`,
    held,
    release: () => {
      released = true;
      for (const [req, res] of parked.splice(0)) forward(req, res);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
