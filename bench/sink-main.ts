// The fast S3 sink in a process of its own; prints {"endpoint": …} when ready, stops with its parent.
// BENCH_SINK_WAN, when set, is the emulated network in front of it (JSON WanOptions).
import type { WanOptions } from '../src/fake-drive/index.js';
import { startSink } from './sink-server.js';

const wan = process.env.BENCH_SINK_WAN ? (JSON.parse(process.env.BENCH_SINK_WAN) as WanOptions) : undefined;
const sink = await startSink(wan ? { wan } : {});
process.stdout.write(`${JSON.stringify({ endpoint: sink.endpoint })}\n`);
const stop = async (): Promise<void> => {
  await sink.close();
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
