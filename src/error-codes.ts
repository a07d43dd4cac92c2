// Every reason code an ItemError (and so a failed file, a retry count, a metric's reason label) may carry, and
// what each says: the service it blames, whether another attempt may work (null: the error says, case by case),
// and whether it says nothing about the file, only that the service did not answer (an outage, issue 20 point 5).
// Decided here once (issue 19); the backends only pick a code, the metrics and the run-stop rule read this table.

/** Who failed: Google Drive, S3, or this process's own checks (checksums, sizes, a child's death). */
export type Service = 'drive' | 's3' | 'local';

interface CodeRule {
  readonly service: Service;
  readonly retryable: boolean | null;
  readonly unreachable?: true;
}

export const ERROR_CODES = {
  // Drive (source/drive/retry.ts classifyDriveError; net/net-error.ts for the media client).
  'rate-limited': { service: 'drive', retryable: true },
  'server-error': { service: 'drive', retryable: true, unreachable: true },
  'connection-reset': { service: 'drive', retryable: true, unreachable: true },
  timeout: { service: 'drive', retryable: true, unreachable: true },
  'bad-response': { service: 'drive', retryable: true },
  truncated: { service: 'drive', retryable: true },
  'download-quota-exceeded': { service: 'drive', retryable: false },
  'not-found': { service: 'drive', retryable: false },
  forbidden: { service: 'drive', retryable: false },
  unauthorized: { service: 'drive', retryable: false },
  'abusive-file': { service: 'drive', retryable: false },
  'cannot-download': { service: 'drive', retryable: false },
  'bad-request': { service: 'drive', retryable: false },
  'source-changed': { service: 'drive', retryable: false },
  'source-changed-again': { service: 'drive', retryable: false },
  'deleted-at-source': { service: 'drive', retryable: false },
  'drive-error': { service: 'drive', retryable: false },
  // S3 (target/s3/s3-errors.ts classifyS3Error, upload-engine.ts).
  's3-throttled': { service: 's3', retryable: true },
  's3-server-error': { service: 's3', retryable: true, unreachable: true },
  's3-network': { service: 's3', retryable: true, unreachable: true },
  's3-timeout': { service: 's3', retryable: true, unreachable: true },
  's3-aborted': { service: 's3', retryable: true },
  's3-no-such-upload': { service: 's3', retryable: true },
  's3-no-etag': { service: 's3', retryable: true },
  's3-no-upload-id': { service: 's3', retryable: true },
  'checkpoint-mismatch': { service: 's3', retryable: true },
  'too-many-parts': { service: 's3', retryable: false },
  's3-access-denied': { service: 's3', retryable: false },
  's3-no-such-bucket': { service: 's3', retryable: false },
  's3-kms': { service: 's3', retryable: false },
  's3-client-error': { service: 's3', retryable: false },
  // Expired session credentials are retried (the SDK refreshes them); invalid ones are not.
  's3-credentials': { service: 's3', retryable: null },
  's3-error': { service: 's3', retryable: null },
  // This process's own checks of the bytes and the work (copy/).
  'size-mismatch': { service: 'local', retryable: true },
  'sha1-mismatch': { service: 'local', retryable: true },
  'md5-mismatch': { service: 'local', retryable: true },
  'source-size-mismatch': { service: 'local', retryable: true },
  'source-not-binary': { service: 'local', retryable: false },
  aborted: { service: 'local', retryable: true },
  internal: { service: 'local', retryable: false },
  'bad-payload': { service: 'local', retryable: false },
  // The supervisor's: a file in flight during --max-attempts child deaths.
  poison: { service: 'local', retryable: false },
  'item-error': { service: 'local', retryable: null },
  // Anything not classified (a plain Error or errno from a child, an unknown code over IPC).
  error: { service: 'local', retryable: null },
} as const satisfies Record<string, CodeRule>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes that blame `S`. */
export type ErrorCodeOf<S extends Service> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]['service'] extends S ? C : never }[ErrorCode];

export const ERROR_CODE_LIST: readonly ErrorCode[] = Object.keys(ERROR_CODES) as ErrorCode[];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** The service a code blames: the one rule the retry counts, the metrics and the run-stop use. */
export function serviceOf(code: ErrorCode): Service {
  return ERROR_CODES[code].service;
}

/** The service a code says did not answer at all, or null when the failure may be the file's own. */
export function unreachableServiceOf(code: ErrorCode): Service | null {
  const rule: CodeRule = ERROR_CODES[code];
  return rule.unreachable === true ? rule.service : null;
}

/** The codes of `service` that say only that it did not answer. */
export function unreachableCodes(service: Service): ReadonlySet<ErrorCode> {
  return new Set(ERROR_CODE_LIST.filter((code) => unreachableServiceOf(code) === service));
}
