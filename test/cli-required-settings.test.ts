// The real CLI refuses a missing or invalid setting the run cannot start without before it prints
// anything else (issue 19): the one line naming the flag and its env twin, exit 2, no memory plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SUPERVISOR_NODE_FLAGS } from '../src/cli/node-flags.js';
import { CLI, TOKEN } from './support/e2e.js';

// Whatever the machine has set must not answer for the flags under test.
const UNSET = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_ENDPOINT_URL_S3'];

function run(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; stderr: string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SUPERVISOR_') && !UNSET.includes(name)));
  const r = spawnSync(process.execPath, [...SUPERVISOR_NODE_FLAGS, CLI, 'run', '--drive-access-token', TOKEN, ...args], { env: { ...base, ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cases: { why: string; args: string[]; env?: NodeJS.ProcessEnv; line: string }[] = [
  { why: 'no bucket', args: [], line: 'supervisor: --s3-bucket (SUPERVISOR_S3_BUCKET) is required' },
  { why: 'an empty bucket from the env twin', args: [], env: { SUPERVISOR_S3_BUCKET: ' ' }, line: 'supervisor: invalid --s3-bucket (SUPERVISOR_S3_BUCKET): " " is empty' },
  { why: 'a bucket that is a path', args: ['--s3-bucket', 'a/b'], line: `supervisor: --s3-bucket (SUPERVISOR_S3_BUCKET) must be a bucket name (no '/', at most 255 characters), got "a/b"` },
  { why: 'no region and no endpoint', args: ['--s3-bucket', 'b'], line: 'supervisor: --s3-region (SUPERVISOR_S3_REGION, or AWS_REGION) is required when no --s3-endpoint is set' },
];

for (const c of cases) {
  test(`run with ${c.why}: its one line on stderr, exit 2, before the memory plan`, () => {
    const r = run(c.args, c.env);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `${c.line}\n`);
    assert.equal(r.stdout, '', 'nothing but the line: no log, no plan');
    assert.doesNotMatch(r.stderr + r.stdout, /memory plan|hard cap/);
  });
}
