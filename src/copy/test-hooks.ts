// Crash points for end-to-end tests, read from the child's environment (SUPERVISOR_* variables are kept
// from children, so these have their own prefix). Unset in production: each hook is then one env lookup.

/**
 * DRIVE_S3_TEST_CRASH_AFTER_COMPLETE=<Drive file id>: right after that file's upload completed in S3, SIGKILL
 * the supervisor and then this child, before any result reaches the journal — the crash window of issue 20
 * (point 3): the object is right, the journal still holds the checkpoint of an upload that no longer exists.
 */
export function crashAfterCompleteHook(fileId: string): void {
  if (process.env.DRIVE_S3_TEST_CRASH_AFTER_COMPLETE !== fileId) return;
  process.kill(process.ppid, 'SIGKILL');
  process.kill(process.pid, 'SIGKILL');
}
