// pino JSON logs on stdout, synchronously written so the last lines survive process.exit (children exit
// right after their final message). A process that wants another stream (the CLI's --log-pretty) passes it.
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { REDACT_PATHS, redactText } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  base?: Record<string, string | number>;
  stream?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const common = {
    level: options.level,
    base: { pid: process.pid, ...options.base },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    hooks: { streamWrite: redactText },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(common, options.stream ?? pino.destination({ fd: 1, sync: true }));
}

/** A logger that writes nothing, for library use and tests that drive classes directly. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
