// The process exit codes are part of the interface: operators and Kubernetes act on them.
export const ExitCode = {
  /** Every file copied, or skipped by rule. */
  Ok: 0,
  /** The run finished but some files failed (each with its reason in the report). */
  SomeFailed: 1,
  /** Configuration, memory plan or preflight error (nothing was copied), or Drive refusing the credentials mid-run (the rest stays pending). */
  Config: 2,
  /** Drive's download quota is used up: the run stopped, nothing failed; rerun after the time its line gives. */
  DownloadQuota: 3,
  /** The journal is damaged (EX_DATAERR): nothing was done; rerun with --fresh, which keeps it aside. */
  JournalCorrupt: 65,
  /** Drive or S3 stayed unreachable past --outage-timeout-s (EX_UNAVAILABLE): the run stopped, nothing failed; rerun once it answers. */
  ServiceUnavailable: 69,
  /** The journal's volume is full (EX_IOERR): the run stopped, nothing lost; rerun once there is space. */
  JournalFull: 74,
  /** Another supervisor is running on the same --state (EX_TEMPFAIL): nothing was done; rerun later. */
  Busy: 75,
  /** Interrupted by SIGINT; resumable. */
  Interrupted: 130,
  /** Interrupted by SIGTERM; resumable. */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
