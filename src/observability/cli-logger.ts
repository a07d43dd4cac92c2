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
  /** Called before each line is written (the live progress block erases itself so a line never lands inside it). */
  beforeLine?: () => void;
}

export function createCliLogger(options: CliLoggerOptions): Logger {
  const pretty = options.pretty ? pinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', destination: 1 }) : undefined;
  const before = options.beforeLine;
  const into = pretty ?? process.stdout;
  const stream = before ? { write: (line: string) => { before(); return into.write(line); } } : pretty;
  return createLogger({ level: options.level, ...(options.base ? { base: options.base } : {}), ...(stream ? { stream } : {}) });
}
