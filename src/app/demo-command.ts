// `supervisor demo`: the real job, end to end, on an embedded default — a generated Drive tree (a few
// hundred files, several large ones, a Google Doc export, duplicate names) served by a fake Drive API,
// into a local s3rver — with real children, live progress, the memory plan, the report, then a deep
// verification pass. Exit 0 when everything copied verifies.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../config/settings.js';
import { ExitCode } from '../exit-codes.js';
import { startDemoServices } from '../demo/start-services.js';
import { S3RVER_CREDENTIALS } from '../testing/s3rver.js';
import { runMigration } from './run-command.js';
import { verifyJournal } from './verify-command.js';

export async function demoCommand(settings: Settings): Promise<number> {
  process.stderr.write(`demo: starting a fake Drive (${settings.demoFiles} files + ${settings.demoLargeCount} × ${settings.demoLargeMb} MiB) and a local S3 (s3rver) on loopback…\n`);
  const services = await startDemoServices({ files: settings.demoFiles, largeCount: settings.demoLargeCount, largeMb: settings.demoLargeMb });
  try {
    const dir = await mkdtemp(join(tmpdir(), 'supervisor-demo-'));
    const demo: Settings = {
      ...settings,
      driveRootUrl: services.driveRootUrl,
      driveAccessToken: services.token,
      driveFolderId: services.rootFolderId,
      s3Bucket: services.bucket,
      s3Endpoint: services.s3Endpoint,
      s3Region: services.region,
      s3ForcePathStyle: true,
      // s3rver stores aws-chunked checksum trailers verbatim; S3-compatible stores often need this too.
      s3Checksum: 'when-required',
      // The fake Drive has no quota: a higher ceiling than the real default (200 requests/s) lets the demo run free.
      driveTps: settings.driveTps === 200 ? 500 : settings.driveTps,
      // The demo's journal is its own, whatever SUPERVISOR_STATE says: in the image that names /data, which
      // is read-only without a volume, and a demo must never touch a real migration's journal.
      state: join(dir, 'journal.db'),
      report: settings.report ?? join(dir, 'report.json'),
    };
    const code = await runMigration(demo, { s3Credentials: S3RVER_CREDENTIALS });
    if (code !== ExitCode.Ok) return code;
    process.stderr.write('demo: verifying every object (present, size, md5 re-hashed from S3)…\n');
    const verified = await verifyJournal({ ...demo, deep: true }, { s3Credentials: S3RVER_CREDENTIALS });
    for (const m of verified.mismatches) process.stderr.write(`demo: MISMATCH ${m.key}: ${m.problem}\n`);
    process.stderr.write(`demo: ${verified.checked} objects verified, ${verified.mismatches.length} mismatches; report at ${demo.report ?? ''}\n`);
    return verified.mismatches.length === 0 ? ExitCode.Ok : ExitCode.SomeFailed;
  } finally {
    await services.stop();
  }
}
