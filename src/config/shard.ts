// --shard INDEX/COUNT: a pod of an Indexed Job copies only the files whose stable hash of the Drive file
// id falls in its shard. INDEX may be left out ("/4" or "4") and then comes from JOB_COMPLETION_INDEX.
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

export interface Shard {
  index: number;
  count: number;
}

export function parseShard(raw: string | undefined, env: NodeJS.ProcessEnv): Shard | null {
  if (raw === undefined || raw.trim() === '') return null;
  const m = /^\s*(\d*)\s*\/?\s*(\d+)\s*$/.exec(raw.includes('/') ? raw : `/${raw}`);
  const bad = (why: string): never => {
    throw new ConfigError(`invalid --shard (SUPERVISOR_SHARD): ${JSON.stringify(raw)} ${why}`);
  };
  if (!m) return bad('is not INDEX/COUNT');
  const count = Number(m[2]);
  const indexText = m[1] !== '' && m[1] !== undefined ? m[1] : env.JOB_COMPLETION_INDEX;
  if (indexText === undefined || indexText === '') return bad('has no INDEX and JOB_COMPLETION_INDEX is not set');
  const index = Number(indexText);
  if (!Number.isInteger(count) || count < 1) return bad('needs a COUNT of at least 1');
  if (!Number.isInteger(index) || index < 0 || index >= count) return bad(`has INDEX ${indexText} outside 0..${count - 1}`);
  return { index, count };
}

/** Stable across runs, machines and Node versions: the first 4 bytes of SHA-1 of the file id. */
export function shardOf(fileId: string, count: number): number {
  return createHash('sha1').update(fileId).digest().readUInt32BE(0) % count;
}

export function inShard(fileId: string, shard: Shard | null): boolean {
  return shard === null || shardOf(fileId, shard.count) === shard.index;
}
