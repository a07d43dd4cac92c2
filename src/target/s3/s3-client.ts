// One S3Client per process, with a bounded socket pool: every socket carries a part buffer's worth of
// request body, so an unbounded agent would let in-flight bytes grow past what the memory plan admitted.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import type { S3TargetOptions } from './s3-options.js';
import { signsPayload } from './s3-options.js';

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface S3ClientTuning {
  /** Upper bound on open sockets; see maxSocketsFor. */
  maxSockets: number;
  /** Abandon a connection attempt after this long (a black-holed endpoint must not hang a worker). */
  connectionTimeoutMs?: number;
  /** Close a socket idle this long mid-request (a stalled upload becomes a retryable error). */
  socketTimeoutMs?: number;
  /**
   * SDK attempts per request (standard retry mode). 1 in the copy children, whose retry loop is the one
   * policy; the default 5 only where no loop of ours runs (the supervisor's control requests, verify).
   */
  maxAttempts?: number;
  /**
   * Explicit credentials, for the built-in s3rver (tests, `supervisor demo`) only. Real runs leave this
   * unset so the SDK's default chain (env, IRSA web identity, profiles, IMDS) is used.
   */
  credentials?: StaticCredentials;
}

/**
 * Sockets one process needs: every concurrent item keeps up to `queueSize` parts in flight, plus a little
 * headroom for the small control requests (HeadObject, Create/Complete) that run next to them.
 */
export function maxSocketsFor(queueSize: number, concurrency: number): number {
  return queueSize * concurrency + 2;
}

/** The commands that carry file bytes: the only ones whose payload hash costs anything. */
const BODY_COMMANDS = new Set(['PutObjectCommand', 'UploadPartCommand']);

function hasHeaders(request: unknown): request is { headers: Record<string, string> } {
  return typeof request === 'object' && request !== null && typeof (request as { headers?: unknown }).headers === 'object';
}

/**
 * Send UNSIGNED-PAYLOAD instead of the body's SHA-256 on the byte-carrying commands (see SignPayloadMode in s3-options.ts).
 * The SigV4 signer uses an x-amz-content-sha256 header it finds as the payload hash, so setting it at the
 * build step (before signing) is all it takes; the header stays signed.
 */
function skipPayloadHash(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (BODY_COMMANDS.has(context.commandName ?? '') && hasHeaders(args.request)) {
        args.request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'unsignedPayloadMiddleware' },
  );
}

export function createS3Client(opts: S3TargetOptions, tuning: S3ClientTuning): S3Client {
  const agentOptions = { keepAlive: true, maxSockets: tuning.maxSockets };
  const checksum = opts.checksum === 'when-required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
  const client = new S3Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    forcePathStyle: opts.forcePathStyle,
    requestChecksumCalculation: checksum,
    responseChecksumValidation: checksum,
    maxAttempts: tuning.maxAttempts ?? 5,
    retryMode: 'standard',
    ...(tuning.credentials ? { credentials: tuning.credentials } : {}),
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: tuning.connectionTimeoutMs ?? 10_000,
      socketTimeout: tuning.socketTimeoutMs ?? 120_000,
    },
  });
  if (!signsPayload(opts)) skipPayloadHash(client);
  return client;
}
