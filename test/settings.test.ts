// Settings: every flag has an environment twin, a flag wins over its twin, and bad values are refused
// with one line naming the flag, the env name and the value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, MemoryPlanError } from '../src/errors.js';
import { OPTION_SPECS, camel, envName } from '../src/config/option-specs.js';
import { resolveSettings } from '../src/config/settings.js';
import { parseShard, shardOf } from '../src/config/shard.js';
import { parseCli } from '../src/cli/cli.js';
import { computeMemoryPlan, describeMemoryPlan } from '../src/supervisor/memory-plan.js';
import { planMemory } from '../src/app/memory-setup.js';
import { s3TargetFor } from '../src/app/source-target.js';
import { resolveS3Options } from '../src/target/s3/s3-options.js';

test('every flag has a SUPERVISOR_* twin that sets it', () => {
  assert.ok(OPTION_SPECS.length > 50);
  for (const spec of OPTION_SPECS) assert.equal(envName(spec.flag), `SUPERVISOR_${spec.flag.toUpperCase().replace(/-/g, '_')}`);
  const s = resolveSettings({}, { SUPERVISOR_CHILD_RSS_SOFT_MB: '300', SUPERVISOR_CHILD_RSS_HARD_MB: '400', SUPERVISOR_SHORTCUTS: 'follow', SUPERVISOR_FRESH: 'true', SUPERVISOR_EXPORT_FORMATS: 'pdf,docx' });
  assert.equal(s.childRssSoftMb, 300);
  assert.equal(s.shortcuts, 'follow');
  assert.equal(s.fresh, true);
  assert.deepEqual(s.exportFormats, ['pdf', 'docx']);
});

test('the command line: the first word names the command (run when none), flags typed are kept, anything else is refused', async () => {
  assert.deepEqual(await parseCli(['--workers', '3']), { command: 'run', flags: { workers: '3' } });
  assert.deepEqual(await parseCli(['plan', '--workers', '3']), { command: 'plan', flags: { workers: '3' } });
  assert.equal((await parseCli(['retry-failed'])).command, 'retry-failed');
  await assert.rejects(parseCli(['copy']), (err: unknown) => err instanceof ConfigError && /command.*"copy"/s.test(err.message));
  await assert.rejects(parseCli(['plan', 'extra']), (err: unknown) => err instanceof ConfigError && /Unknown argument: extra/.test(err.message));
});

test('a flag wins over its environment twin', () => {
  const s = resolveSettings({ [camel('child-rss-soft-mb')]: '250', workers: '3' }, { SUPERVISOR_CHILD_RSS_SOFT_MB: '300', SUPERVISOR_WORKERS: '9' });
  assert.equal(s.childRssSoftMb, 250);
  assert.equal(s.workers, 3);
});

test('ecosystem fallbacks: AWS_REGION and AWS_ENDPOINT_URL_S3 after the twin', () => {
  assert.equal(resolveSettings({}, { AWS_REGION: 'eu-west-1' }).s3Region, 'eu-west-1');
  assert.equal(resolveSettings({}, { AWS_REGION: 'eu-west-1', SUPERVISOR_S3_REGION: 'us-east-2' }).s3Region, 'us-east-2');
  assert.equal(resolveSettings({}, { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000' }).s3Endpoint, 'http://127.0.0.1:9000');
});

test('--s3-checksum defaults to when-required with an S3-compatible endpoint, when-supported for AWS; a flag or its twin wins', () => {
  const endpoint = 'http://127.0.0.1:9000';
  assert.equal(resolveSettings({}, {}).s3Checksum, 'when-supported');
  assert.equal(resolveSettings({ s3Endpoint: endpoint }, {}).s3Checksum, 'when-required');
  assert.equal(resolveSettings({}, { SUPERVISOR_S3_ENDPOINT: endpoint }).s3Checksum, 'when-required');
  assert.equal(resolveSettings({}, { AWS_ENDPOINT_URL_S3: endpoint }).s3Checksum, 'when-required');
  assert.equal(resolveSettings({ s3Endpoint: endpoint, s3Checksum: 'when-supported' }, {}).s3Checksum, 'when-supported');
  assert.equal(resolveSettings({}, { AWS_ENDPOINT_URL: endpoint, SUPERVISOR_S3_CHECKSUM: 'when-supported' }).s3Checksum, 'when-supported');
  assert.equal(resolveSettings({ s3Checksum: 'when-required' }, {}).s3Checksum, 'when-required');
  // The target the copy children get carries it; and the S3 options alone resolve it the same way.
  assert.equal(s3TargetFor(resolveSettings({ s3Bucket: 'b', s3Endpoint: endpoint }, {})).checksum, 'when-required');
  assert.equal(s3TargetFor(resolveSettings({ s3Bucket: 'b', s3Region: 'eu-west-1' }, {})).checksum, 'when-supported');
  assert.equal(resolveS3Options({ bucket: 'b', endpoint }, {}).checksum, 'when-required');
  assert.equal(resolveS3Options({ bucket: 'b', endpoint, checksum: 'when-supported' }, {}).checksum, 'when-supported');
});

test('bad values are refused with the flag, the env name and the value', () => {
  const cases: [Record<string, unknown>, NodeJS.ProcessEnv, RegExp][] = [
    [{ childRssSoftMb: 'abc' }, {}, /^invalid --child-rss-soft-mb \(SUPERVISOR_CHILD_RSS_SOFT_MB\): "abc" is not a number$/],
    [{}, { SUPERVISOR_WORKERS: '0' }, /^invalid --workers \(SUPERVISOR_WORKERS\): "0" is below the minimum 1$/],
    [{}, { SUPERVISOR_RSS_POLL_MS: '2.5' }, /^invalid --rss-poll-ms \(SUPERVISOR_RSS_POLL_MS\): "2.5" is not a whole number$/],
    [{ shortcuts: 'maybe' }, {}, /^invalid --shortcuts \(SUPERVISOR_SHORTCUTS\): "maybe" is not one of skip, follow$/],
    [{}, { SUPERVISOR_FRESH: 'perhaps' }, /^invalid --fresh \(SUPERVISOR_FRESH\): "perhaps" is not a boolean/],
    [{}, { SUPERVISOR_WORKRES: '4' }, /^unknown setting SUPERVISOR_WORKRES/],
    [{ childRssSoftMb: '500', childRssHardMb: '400' }, {}, /--child-rss-soft-mb.*must be below --child-rss-hard-mb 400/],
    [{ s3KmsKeyId: 'k' }, {}, /--s3-kms-key-id .* needs --s3-sse aws:kms/],
    [{ oauthClientId: 'x' }, {}, /OAuth needs all three/],
  ];
  for (const [flags, env, message] of cases) {
    assert.throws(() => resolveSettings(flags, env), (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'));
  }
});

test('a secret in a bad value is not echoed', () => {
  assert.throws(
    () => resolveSettings({ driveAccessToken: '   ' }, {}),
    (err: unknown) => err instanceof ConfigError && err.message.includes('[REDACTED]'),
  );
});

test('the memory plan refuses what cannot fit, naming the settings and a value that would', () => {
  const base = { reserveMb: 200, childConcurrency: 4, itemBufferMb: 33, childBaselineMb: 96, sharedMb: 44, containerLimitMb: null, physicalMb: 16000, cpus: 2, pausePct: 85, recyclePct: 95 };
  assert.throws(
    () => computeMemoryPlan({ ...base, budgetMb: 1000, workers: 8, childRssHardMb: 300, childRssSoftMb: 200 }),
    (err: unknown) => err instanceof MemoryPlanError && /--workers 8 × --child-rss-hard-mb 300 \+ --supervisor-reserve-mb 200 = 2600 MB > --memory-budget-mb 1000 \(flag\); try --workers 2/.test(err.message),
  );
  assert.throws(
    () => computeMemoryPlan({ ...base, budgetMb: 9000, containerLimitMb: 8192 }),
    (err: unknown) => err instanceof MemoryPlanError && /--memory-budget-mb 9000 exceeds the container memory limit 8192 MB; try --memory-budget-mb 7372/.test(err.message),
  );
  const plan = computeMemoryPlan({ ...base, budgetMb: undefined, containerLimitMb: 8192 });
  assert.equal(plan.budgetMb, 7372);
  assert.equal(plan.budgetSource, 'container-limit');
  assert.ok(plan.workers * plan.childHardMb + plan.reserveMb <= plan.budgetMb);
  assert.ok(plan.childSoftMb < plan.childHardMb);
});

test('the defaults plan a 220 MiB pod on what the kernel charges: one child, caps on its USS, its RSS shown beside them', () => {
  const machine = { physicalMb: 16000, cpus: 2 };
  const plan = planMemory(resolveSettings({}, {}), { ...machine, containerLimitMb: 220 });
  assert.deepEqual([plan.budgetMb, plan.workers, plan.reserveMb, plan.childHardMb, plan.childSoftMb], [198, 1, 96, 99, 79]);
  const text = describeMemoryPlan(plan);
  assert.match(text, /supervisor reserve 96 MB \(its own pages \+ ~44 MB all processes share, charged once/);
  assert.match(text, /per child, its own pages \(USS\): baseline 40 MB, soft cap 79 MB \(drain\), hard cap 99 MB \(kill\); as RSS ~123\/143 MB/);
  // Below 217 MiB (199 at --range-streams 1) one child and the reserve no longer fit 90% of the limit: refused, naming a budget that would.
  assert.throws(() => planMemory(resolveSettings({}, {}), { ...machine, containerLimitMb: 216 }), (err: unknown) => err instanceof MemoryPlanError && /try --memory-budget-mb 195 or a smaller --child-rss-hard-mb/.test(err.message));
});

test('shards: INDEX/COUNT, INDEX from JOB_COMPLETION_INDEX, and a stable partition', () => {
  assert.deepEqual(parseShard('2/4', {}), { index: 2, count: 4 });
  assert.deepEqual(parseShard('/4', { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
  assert.deepEqual(parseShard('4', { JOB_COMPLETION_INDEX: '0' }), { index: 0, count: 4 });
  assert.throws(() => parseShard('4/4', {}), /INDEX 4 outside 0..3/);
  assert.throws(() => parseShard('/4', {}), /JOB_COMPLETION_INDEX is not set/);
  assert.equal(parseShard(undefined, {}), null);
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) {
    const s = shardOf(`file-${i}`, 4);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  for (const c of counts) assert.ok(c > 850 && c < 1150, `uneven shards: ${counts.join(',')}`);
  assert.equal(shardOf('1AbCdEf', 7), shardOf('1AbCdEf', 7));
});
