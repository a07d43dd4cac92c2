// Child process entry: wires the IPC channel into ChildRuntime. Kept tiny on purpose.
import type { ChildMessage } from '../ipc/protocol.js';
import { createLogger } from '../observability/logger.js';
import { ChildRuntime } from './child-runtime.js';

const log = createLogger({ level: 'info', base: { role: 'child' } });

if (!process.send) {
  log.error('this module is a child process entry: start it through the supervisor');
  process.exit(2);
}

const port = {
  send: (msg: ChildMessage) =>
    new Promise<void>((resolve) => {
      if (!process.connected || !process.send) return resolve();
      process.send(msg, undefined, undefined, (err: Error | null) => {
        if (err) log.warn({ err, kind: msg.kind }, 'IPC send failed');
        resolve();
      });
    }),
};

const runtime = new ChildRuntime(port, (code) => process.exit(code), log);

process.on('message', (raw: unknown) => {
  runtime.handle(raw).catch((err: unknown) => {
    log.error({ err }, 'message handling failed');
    process.exit(1);
  });
});

// The parent is gone (even SIGKILLed): the IPC channel closes. Never linger as an orphan.
process.on('disconnect', () => {
  void runtime.shutdown(2000, 'parent disconnected');
  setTimeout(() => process.exit(0), 3000).unref();
});
// SIGTERM to the whole group (tini -g, kubectl delete) means "stop gracefully"; the parent says the same over IPC.
process.on('SIGTERM', () => void runtime.shutdown(10_000, 'SIGTERM'));
// Ctrl-C reaches the whole foreground group; the supervisor decides, so a child ignores SIGINT.
process.on('SIGINT', () => undefined);
