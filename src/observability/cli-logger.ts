// The supervisor's logger: JSON, or human-readable with --log-pretty. pino-pretty runs in-process as a
// synchronous stream (pino's transports start a worker thread from a file path, which a bundle lacks);
// it lives here so that the children, which never log pretty, do not load it.
import pinoPretty from 'pino-pretty';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';

export interface CliLoggerOptions {
  level: string;
  pretty: boolean;
  base?: Record<string, string | number>;
  /** Writes each line (the live progress block prints it above itself so it never lands inside it). */
  aroundLine?: (write: () => void) => void;
}

export function createCliLogger(options: CliLoggerOptions): Logger {
  const pretty = options.pretty ? pinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', destination: 1 }) : undefined;
  const around = options.aroundLine;
  const into = pretty ?? process.stdout;
  const stream = around ? { write: (line: string) => around(() => void into.write(line)) } : pretty;
  return createLogger({ level: options.level, ...(options.base ? { base: options.base } : {}), ...(stream ? { stream } : {}) });
}
