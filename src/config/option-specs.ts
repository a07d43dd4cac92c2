// Every setting, once: its flag, its environment twin (SUPERVISOR_<FLAG>), its type, default and meaning.
// The CLI, the README's configuration table, the Settings type (settings-of.ts), the checks of flags, env
// and the children's IPC payload (option-value.ts) all come from this table (issue 19: one registration).

export type OptionKind = 'int' | 'number' | 'string' | 'url' | 'bool' | 'choice' | 'list';

export interface OptionSpec {
  flag: string;
  /** url: an http(s) URL without credentials (they would reach logs). */
  kind: OptionKind;
  group: 'Supervisor' | 'Memory' | 'Google Drive' | 'S3' | 'Journal' | 'Output' | 'Demo';
  describe: string;
  /** undefined: no default (unset, or computed at start-up — see defaultLabel). */
  default?: number | string | boolean | readonly string[];
  /** The default depends on another setting; resolveSettings computes it, so the setting is never unset. */
  derivedDefault?: true;
  defaultLabel?: string;
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** Never logged, masked in every output. */
  secret?: boolean;
  /** Fallback environment variables of the wider ecosystem (AWS_REGION, …) after the twin. */
  envFallbacks?: readonly string[];
}

// Its literal type determines Settings (settings.ts); everything that reads the rows sees OPTION_SPECS.
const TABLE = [
  // ---- memory and the supervisor
  { flag: 'memory-budget-mb', kind: 'int', group: 'Memory', min: 64, describe: 'Memory the whole pod may use: supervisor + all children', defaultLabel: '90% of the container limit, else half of RAM' },
  { flag: 'workers', kind: 'int', group: 'Memory', min: 1, max: 256, describe: 'Child processes', defaultLabel: 'what the budget fits (≤ 2 × CPUs, ≤ 16)' },
  { flag: 'child-concurrency', kind: 'int', group: 'Memory', min: 1, max: 64, default: 4, describe: 'Items each child copies at once' },
  { flag: 'child-part-buffers', kind: 'int', group: 'Memory', min: 1, max: 4096, describe: 'Part buffers one child holds, shared by its items (each ≤ --upload-queue-size)', defaultLabel: 'max(child concurrency, upload queue size)' },
  { flag: 'child-heap-mb', kind: 'int', group: 'Memory', min: 32, describe: 'V8 heap of each child (--max-old-space-size); does not bound Buffers', defaultLabel: 'hard cap / 2, 128..512' },
  { flag: 'child-rss-soft-mb', kind: 'int', group: 'Memory', min: 32, describe: 'Child\'s own memory (USS) above which it drains and is replaced', defaultLabel: '80% of the hard cap' },
  { flag: 'child-rss-hard-mb', kind: 'int', group: 'Memory', min: 48, describe: 'Child\'s own memory (USS) above which it is SIGKILLed and its items requeued', defaultLabel: 'baseline + 2 × child buffer bound' },
  { flag: 'child-baseline-mb', kind: 'int', group: 'Memory', min: 16, default: 40, describe: 'An idle child\'s own memory (USS), libraries loaded (for caps and admission)' },
  { flag: 'supervisor-reserve-mb', kind: 'int', group: 'Memory', min: 32, default: 96, describe: 'Memory kept for the supervisor and, once, the pages every process shares' },
  { flag: 'budget-pause-pct', kind: 'int', group: 'Memory', min: 10, max: 100, default: 85, describe: 'Pod usage (% of budget) above which dispatch pauses' },
  { flag: 'budget-recycle-pct', kind: 'int', group: 'Memory', min: 10, max: 100, default: 95, describe: 'Pod usage (% of budget) above which the largest child is recycled' },
  { flag: 'rss-poll-ms', kind: 'int', group: 'Memory', min: 20, max: 5000, default: 250, describe: 'How often every child\'s memory (USS and RSS) and the cgroup are read' },
  { flag: 'max-items-per-child', kind: 'int', group: 'Supervisor', min: 0, default: 0, describe: 'Recycle a child after this many items (0: never)' },
  { flag: 'batch-files', kind: 'int', group: 'Supervisor', min: 1, max: 10000, default: 16, describe: 'Most items in one batch sent to a child' },
  { flag: 'batch-mb', kind: 'int', group: 'Supervisor', min: 1, default: 256, describe: 'Most source bytes one child holds in flight; a larger file is sent alone, and such files share a child, up to --child-concurrency' },
  { flag: 'queue-length', kind: 'int', group: 'Supervisor', min: 10, max: 1_000_000, default: 2000, describe: 'Items the supervisor holds ready in memory (the rest wait in the journal)' },
  { flag: 'max-attempts', kind: 'int', group: 'Supervisor', min: 1, max: 100, default: 3, describe: 'Child deaths (or retryable failures) an item may be part of before it is failed' },
  { flag: 'shutdown-grace-s', kind: 'int', group: 'Supervisor', min: 0, max: 3600, default: 30, describe: 'On SIGTERM/SIGINT, time children get to checkpoint and stop before SIGKILL' },
  { flag: 'startup-timeout-s', kind: 'int', group: 'Supervisor', min: 1, max: 600, default: 30, describe: 'Time a child gets to say ready' },
  { flag: 'crash-loop-limit', kind: 'int', group: 'Supervisor', min: 1, max: 1000, default: 5, describe: 'Children dying in a row during start-up that stop the run' },
  { flag: 'outage-timeout-s', kind: 'int', group: 'Supervisor', min: 1, max: 86400, default: 900, describe: 'How long Drive or S3 may stay unreachable before the run stops (exit 69)' },
  { flag: 'recycle-stagger-ms', kind: 'int', group: 'Supervisor', min: 0, max: 60000, default: 500, describe: 'Gap (plus jitter) between replacement children' },
  // ---- Google Drive
  { flag: 'drive-folder-id', kind: 'string', group: 'Google Drive', default: 'root', describe: 'Folder to copy recursively (its own name is not part of the keys)' },
  { flag: 'shared-drive-id', kind: 'string', group: 'Google Drive', describe: 'Copy this shared drive instead of a folder' },
  { flag: 'drive-root-url', kind: 'url', group: 'Google Drive', describe: 'Another Drive API root (proxies, test servers)', defaultLabel: 'https://www.googleapis.com/' },
  { flag: 'drive-access-token', kind: 'string', group: 'Google Drive', secret: true, describe: 'A plain OAuth access token (sent as a Bearer credential)' },
  { flag: 'google-credentials', kind: 'string', group: 'Google Drive', envFallbacks: ['GOOGLE_APPLICATION_CREDENTIALS'], describe: 'Service account, external account or authorized user JSON, or `metadata-server`' },
  { flag: 'impersonate', kind: 'string', group: 'Google Drive', describe: 'Domain-wide delegation: the user a service account acts as' },
  // ---- the organisation (issue 23): every user's My Drive and every shared drive, each read as its own identity
  { flag: 'all-users', kind: 'bool', group: 'Google Drive', default: false, describe: 'Copy the My Drive of every active user of the directory (needs --admin-subject)' },
  { flag: 'users', kind: 'list', group: 'Google Drive', describe: 'Copy the My Drive of these users (addresses or @file; with --all-users: only these)' },
  { flag: 'exclude-users', kind: 'list', group: 'Google Drive', describe: 'Users not to copy: addresses, or @file with one a line' },
  { flag: 'all-shared-drives', kind: 'bool', group: 'Google Drive', default: false, describe: 'Copy every shared drive of the domain, each as one of its organizers' },
  { flag: 'shared-with-me', kind: 'bool', group: 'Google Drive', default: false, describe: "Also copy what was shared with the users but lives outside the run's drives, once, under `users/<recipient>/Shared with me/<owner>/`" },
  { flag: 'admin-subject', kind: 'string', group: 'Google Drive', describe: 'The admin a service account impersonates to read the directory and shared drives' },
  { flag: 'admin-root-url', kind: 'url', group: 'Google Drive', describe: 'Another Directory API root (proxies, test servers)', defaultLabel: 'https://admin.googleapis.com/' },
  { flag: 'oauth-client-id', kind: 'string', group: 'Google Drive', describe: 'OAuth client id (with a refresh token)' },
  { flag: 'oauth-client-secret', kind: 'string', group: 'Google Drive', secret: true, describe: 'OAuth client secret' },
  { flag: 'oauth-refresh-token', kind: 'string', group: 'Google Drive', secret: true, describe: 'OAuth refresh token' },
  { flag: 'export-formats', kind: 'list', group: 'Google Drive', default: ['docx', 'xlsx', 'pptx', 'svg'], describe: 'Google Workspace files: the first of these formats the file supports' },
  { flag: 'shortcuts', kind: 'choice', group: 'Google Drive', choices: ['skip', 'follow'], default: 'skip', describe: 'Shortcuts: record and skip, or copy their targets (loop-safe)' },
  { flag: 'acknowledge-abuse', kind: 'bool', group: 'Google Drive', default: false, describe: 'Download files Drive flags as abusive (otherwise skipped with the reason)' },
  { flag: 'drive-tps', kind: 'number', group: 'Google Drive', min: 0.1, max: 10000, default: 200, describe: 'Ceiling of Drive requests per second of the adaptive pace of each user, shared by all processes' },
  { flag: 'drive-retries', kind: 'int', group: 'Google Drive', min: 0, max: 50, default: 8, describe: 'Retries of a file in a child on a retryable Drive or S3 error (429, 5xx, resets), backoff up to 32 s' },
  { flag: 'range-streams', kind: 'int', group: 'Google Drive', min: 1, max: 32, default: 4, describe: 'Parallel range requests per large file, each over a connection and a part buffer of its own (1: one stream)' },
  { flag: 'range-cutoff-mb', kind: 'int', group: 'Google Drive', min: 1, default: 256, describe: 'Files at or above this size are read as --range-streams parallel ranges' },
  // ---- S3
  { flag: 's3-bucket', kind: 'string', group: 'S3', describe: 'Target bucket (required to copy)' },
  { flag: 's3-prefix', kind: 'string', group: 'S3', default: '', describe: 'Key prefix for every object' },
  { flag: 'manifest-key', kind: 'string', group: 'S3', default: '_manifest.jsonl.gz', describe: 'Key of the manifest each pass writes under --s3-prefix or each drive\'s prefix (empty: none)' },
  { flag: 's3-region', kind: 'string', group: 'S3', envFallbacks: ['AWS_REGION', 'AWS_DEFAULT_REGION'], describe: 'Bucket region', defaultLabel: 'AWS_REGION, else us-east-1' },
  { flag: 's3-endpoint', kind: 'url', group: 'S3', envFallbacks: ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'], describe: 'S3-compatible endpoint URL', defaultLabel: 'AWS' },
  { flag: 's3-force-path-style', kind: 'bool', group: 'S3', default: false, describe: 'Path-style addressing (most S3-compatible stores)' },
  { flag: 's3-storage-class', kind: 'string', group: 'S3', describe: 'Storage class of new objects (STANDARD, INTELLIGENT_TIERING, …)' },
  { flag: 's3-sse', kind: 'choice', group: 'S3', choices: ['AES256', 'aws:kms'], describe: 'Server-side encryption' },
  { flag: 's3-kms-key-id', kind: 'string', group: 'S3', describe: 'KMS key for --s3-sse aws:kms' },
  { flag: 's3-checksum', kind: 'choice', group: 'S3', choices: ['when-supported', 'when-required'], derivedDefault: true, describe: 'SDK checksums: a CRC32 on every upload, or only where required (B2, R2, Ceph)', defaultLabel: '`when-required` with `--s3-endpoint`, else `when-supported`' },
  { flag: 's3-sign-payload', kind: 'choice', group: 'S3', choices: ['auto', 'always', 'never'], default: 'auto', describe: 'SHA-256 of every part in its SigV4 signature; auto: only over plain http' },
  // S3's limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html); the default is its
  // minimum part: every held part buffer is a part (docs/design.md#the-measurements-behind-the-flags).
  { flag: 'part-size-mb', kind: 'int', group: 'S3', min: 5, max: 5120, default: 5, describe: 'Multipart part size (raised for files over 10,000 parts)' },
  { flag: 'upload-queue-size', kind: 'int', group: 'S3', min: 1, max: 64, default: 2, describe: 'Parts of one file in flight at once' },
  // ---- journal
  { flag: 'state', kind: 'string', group: 'Journal', default: '.supervisor/journal.db', describe: 'SQLite journal path (a PVC in Kubernetes)' },
  { flag: 'resume-min-mb', kind: 'int', group: 'Journal', min: 0, default: 64, describe: 'Files at or above this size checkpoint every part and resume mid-file' },
  { flag: 'resume-reread-max-mb', kind: 'int', group: 'Journal', min: 0, default: 1024, describe: 'Most bytes a resume without saved hash state reads again (else starts afresh)' },
  { flag: 'max-runs-per-file', kind: 'int', group: 'Journal', min: 1, max: 1000, default: 3, describe: 'Runs a file may fail in transiently before a plain run stops retrying it' },
  { flag: 'skip-existing', kind: 'bool', group: 'Journal', default: false, describe: 'Skip files whose S3 object already has the same md5/modifiedTime (lost journal)' },
  { flag: 'fresh', kind: 'bool', group: 'Journal', default: false, describe: 'Ignore the existing journal and start over' },
  { flag: 'full', kind: 'bool', group: 'Journal', default: false, describe: 'A full pass even when the journal has a change token' },
  { flag: 'watch', kind: 'bool', group: 'Journal', default: false, describe: 'run: a delta pass every --watch-interval-s until SIGTERM (143) or SIGINT (130)' },
  { flag: 'watch-interval-s', kind: 'int', group: 'Journal', min: 1, max: 86400, default: 60, describe: 'Seconds between the passes of --watch' },
  { flag: 'deletes', kind: 'choice', group: 'Journal', choices: ['keep', 'delete'], default: 'keep', describe: 'Objects of files gone or renamed on Drive: keep (listed in the report) or delete' },
  { flag: 'shard', kind: 'string', group: 'Journal', describe: 'INDEX/COUNT: copy only this shard: its files, or in an organisation run its drives (INDEX defaults from JOB_COMPLETION_INDEX)' },
  { flag: 'shard-sizes', kind: 'string', group: 'Journal', describe: 'Organisation --shard: JSON of drive key (users/<email>, shared-drives/<id>) to bytes; packs drives by size' },
  { flag: 'plan-sizes-out', kind: 'string', group: 'Journal', describe: 'Organisation plan / --dry-run: write each listed drive\'s bytes here, the JSON --shard-sizes reads' },
  // ---- output
  { flag: 'log-level', kind: 'choice', group: 'Output', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], default: 'info', describe: 'Log level' },
  { flag: 'log-pretty', kind: 'bool', group: 'Output', default: false, describe: 'Human-readable logs instead of JSON' },
  { flag: 'progress', kind: 'choice', group: 'Output', choices: ['auto', 'tty', 'log', 'off'], default: 'auto', describe: 'Live display on a TTY, else a log line every interval' },
  { flag: 'progress-interval-s', kind: 'int', group: 'Output', min: 1, max: 3600, default: 10, describe: 'Seconds between progress log lines' },
  { flag: 'metrics-port', kind: 'int', group: 'Output', min: 0, max: 65535, default: 0, describe: 'Serve /metrics, /healthz, /readyz on this port (0: off)' },
  { flag: 'metrics-host', kind: 'string', group: 'Output', default: '0.0.0.0', describe: 'Address the metrics server listens on' },
  { flag: 'report', kind: 'string', group: 'Output', describe: 'Write the final JSON report here' },
  { flag: 'dry-run', kind: 'bool', group: 'Output', default: false, describe: 'List and plan only; copy nothing (same as `plan`)' },
  { flag: 'deep', kind: 'bool', group: 'Output', default: false, describe: 'verify: re-read and re-hash every object' },
  // ---- demo
  { flag: 'demo-files', kind: 'int', group: 'Demo', min: 1, max: 1_000_000, default: 300, describe: 'demo: generated files in the embedded Drive' },
  { flag: 'demo-large-count', kind: 'int', group: 'Demo', min: 0, max: 100, default: 3, describe: 'demo: how many large files' },
  { flag: 'demo-large-mb', kind: 'int', group: 'Demo', min: 1, max: 100_000, default: 256, describe: 'demo: size of each large file' },
] as const satisfies readonly OptionSpec[];

export type OptionTable = typeof TABLE;
export const OPTION_SPECS: readonly OptionSpec[] = TABLE;

export function envName(flag: string): string {
  return `SUPERVISOR_${flag.toUpperCase().replace(/-/g, '_')}`;
}

/** A flag as messages name it: with its environment twin, the two ways to set it. */
export function flagNamed(flag: string): string {
  return `--${flag} (${envName(flag)})`;
}

/** The default as help texts show it: its label, else its value (a list comma-joined); undefined when none. */
export function defaultShown(spec: OptionSpec): string | undefined {
  if (spec.defaultLabel) return spec.defaultLabel;
  if (spec.default === undefined) return undefined;
  return typeof spec.default === 'object' ? spec.default.join(',') : String(spec.default);
}

export function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export const SPEC_BY_FLAG: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [s.flag, s]));
/** The row of a setting by its camelCase key (the Settings property). */
export const SPEC_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTION_SPECS.map((s) => [camel(s.flag), s]));
