// What a journal belongs to: the source (folder or shared drive, and shard) and the target (bucket,
// prefix, endpoint). A journal from another source or target is refused rather than mixed.
import type { Settings } from '../config/settings.js';
import { isOrgRun } from '../config/org-settings.js';
import type { Shard } from '../config/shard.js';
import type { JournalIdentity } from '../journal/types.js';
import { describeUrl } from '../config/option-value.js';
import type { S3TargetOptions } from '../target/s3/s3-options.js';

/** The source half of the identity: the folder or shared drive, and the shard. */
export function journalSource(s: Settings, rootId: string, shard: Shard | null): string {
  // An organisation run's journal holds every drive it copies; which ones is the run's choice, not its identity.
  const from = isOrgRun(s) ? 'organisation' : s.sharedDriveId ? `shared-drive:${s.sharedDriveId}` : `folder:${rootId}`;
  return shard ? `${from} shard ${shard.index}/${shard.count}` : from;
}

export function journalIdentity(s: Settings, rootId: string, target: S3TargetOptions, shard: Shard | null): JournalIdentity {
  const where = target.endpoint ? describeUrl(target.endpoint) : `aws:${target.region}`;
  return {
    source: journalSource(s, rootId, shard),
    target: `s3://${target.bucket}/${target.prefix} (${where})`,
  };
}
