// s3rver (with the project's multipart extensions) in a process of its own, for the realism run.
import { startS3rver } from '../src/testing/s3rver.js';

const s3 = await startS3rver({ bucket: process.env.BENCH_BUCKET ?? 'bench-s3rver' });
process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket })}\n`);
const stop = async (): Promise<void> => {
  await s3.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
