// Drive-shaped HTTP responses and request helpers shared by the fake's route handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from './faults.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=UTF-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const RATE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'downloadQuotaExceeded']);

/** A Drive-shaped error body: {error:{code,message,errors:[{domain,reason,message}]}}. */
export function sendDriveError(res: ServerResponse, status: number, reason: string, message: string, retryAfter?: string): void {
  const domain = RATE_REASONS.has(reason) ? 'usageLimits' : 'global';
  sendJson(
    res,
    status,
    { error: { code: status, message, errors: [{ domain, reason, message }] } },
    retryAfter === undefined ? {} : { 'Retry-After': retryAfter },
  );
}

function defaultReason(status: number): string {
  switch (status) {
    case 400:
      return 'badRequest';
    case 401:
      return 'authError';
    case 403:
      return 'forbidden';
    case 404:
      return 'notFound';
    case 429:
      return 'rateLimitExceeded';
    default:
      return status >= 500 ? 'backendError' : 'unknown';
  }
}

export function sendFault(res: ServerResponse, fault: Extract<Fault, { type: 'status' }>): void {
  const reason = fault.reason ?? defaultReason(fault.status);
  sendDriveError(res, fault.status, reason, `Injected fault: ${reason}`, fault.retryAfter);
}

export function bearerOf(req: IncomingMessage): string | null {
  const auth = req.headers.authorization ?? '';
  return auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : null;
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
