// The fast S3 sink in a process of its own; prints {"endpoint": …} when ready, stops with its parent.
import { startSink } from './sink-server.js';

const sink = await startSink();
process.stdout.write(`${JSON.stringify({ endpoint: sink.endpoint })}\n`);
const stop = async (): Promise<void> => {
  await sink.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
