// pino JSON logs on stdout, synchronously written so the last lines survive process.exit (children exit
// right after their final message). Pretty output only when asked (--log-pretty).
import { pino } from 'pino';
import type { Logger } from 'pino';
import { REDACT_PATHS, redactText } from './redact.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level: string;
  pretty: boolean;
  base?: Record<string, string | number>;
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
  if (options.pretty) {
    return pino({
      ...common,
      transport: { target: 'pino-pretty', options: { colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(common, pino.destination({ fd: 1, sync: true }));
}

/** A logger that writes nothing, for library use and tests that drive classes directly. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
