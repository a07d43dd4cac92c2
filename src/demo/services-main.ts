// The demo's embedded services in a process of their own — a fake Drive v3 API and s3rver on loopback —
// so the supervisor's memory figures are its own and not the servers'. Prints one JSON line when ready
// and stops when its parent goes away.
import { startFakeDrive, makeDemoTree } from '../fake-drive/index.js';
import { startS3rver } from '../testing/s3rver.js';

const files = Number(process.env.DEMO_FILES ?? 300);
const largeCount = Number(process.env.DEMO_LARGE_COUNT ?? 3);
const largeMb = Number(process.env.DEMO_LARGE_MB ?? 256);
const token = process.env.DEMO_TOKEN ?? 'demo-token';

const tree = makeDemoTree({ smallFiles: files, largeFiles: largeCount, largeSize: largeMb * 1024 * 1024 });
const drive = await startFakeDrive({ nodes: tree.nodes, token });
const s3 = await startS3rver({ bucket: 'demo-bucket' });

const ready = {
  driveRootUrl: drive.rootUrl,
  rootFolderId: tree.rootFolderId,
  token,
  s3Endpoint: s3.endpoint,
  bucket: s3.bucket,
  region: s3.region,
  totalBytes: tree.totalBytes,
};
process.stdout.write(`${JSON.stringify(ready)}\n`);

const stop = async (): Promise<void> => {
  await Promise.allSettled([drive.close(), s3.close()]);
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => undefined);
