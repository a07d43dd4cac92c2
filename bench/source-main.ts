// The benchmark's source in a process of its own (so its CPU and memory are not counted in the measured
// tree): the fake Drive API and an HTML index of the same generated tree. The tree spec arrives as JSON
// in BENCH_TREE; every checksum is computed before the ready line, so no run pays for it while being timed.
// BENCH_WAN, when set, puts an emulated wide-area network and Drive's per-user quota in front of both servers.
import type { ContentHashes } from '../src/fake-drive/content.js';
import { startFakeDrive, UserQuota } from '../src/fake-drive/index.js';
import type { QuotaOptions, WanOptions } from '../src/fake-drive/index.js';
import { startIndexServer } from './index-server.js';
import { BENCH_ROOT_ID, buildNodes, treeTotals } from './tree-spec.js';
import type { TreeSpec } from './tree-spec.js';

const spec = JSON.parse(process.env.BENCH_TREE ?? '') as TreeSpec;
const token = 'bench-token';
const nodes = buildNodes(spec);
const totals = treeTotals(nodes);
const wan = process.env.BENCH_WAN ? (JSON.parse(process.env.BENCH_WAN) as { wan?: WanOptions; quota?: QuotaOptions }) : {};
const drive = await startFakeDrive({ nodes, token, ...wan });
const hashes = new Map<string, ContentHashes>();
if (spec.md5 === 'real') {
  for (const n of nodes) if (n.size !== undefined) hashes.set(n.id, await drive.trueHashes(n.id));
}
// The manifest carries the checksums too: the raw pipe verifies its copies against them.
// The index (rclone's source) gets the same network and a quota of its own user, refused with 429 (see IndexEmulation).
const indexQuota = wan.quota ? new UserQuota({ ...wan.quota, refusal: '429' }) : null;
const emulation = wan.wan || indexQuota ? { wan: drive.wan, quota: indexQuota ?? new UserQuota(null) } : null;
const quotaStats = (q: UserQuota): { admitted: number; refused: number } => ({ admitted: q.stats.admitted, refused: q.stats.refused });
const index = await startIndexServer(nodes, BENCH_ROOT_ID, hashes, emulation, () => ({
  drive: quotaStats(drive.quota),
  index: emulation ? quotaStats(emulation.quota) : { admitted: 0, refused: 0 },
}));
process.stdout.write(`${JSON.stringify({ driveRootUrl: drive.rootUrl, indexUrl: index.url, token, rootFolderId: BENCH_ROOT_ID, ...totals })}\n`);

const stop = async (): Promise<void> => {
  await Promise.allSettled([drive.close(), index.close()]);
  process.exit(0);
};
process.on('disconnect', () => void stop());
process.on('SIGTERM', () => void stop());
