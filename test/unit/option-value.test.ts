// One row's checks, as flags, env, code and a child's IPC payload meet them: a typed value is held to its
// kind's JSON type and its bounds, choices or URL form; absent, it takes the row's default or an ecosystem
// fallback; a URL's credentials are never echoed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../src/errors.js';
import { SPEC_BY_FLAG } from '../../src/config/option-specs.js';
import type { OptionSpec } from '../../src/config/option-specs.js';
import { bytesSettingValue, checkValue, parseValue, settingValue } from '../../src/config/option-value.js';

const MiB = 1024 * 1024;

function row(flag: string): OptionSpec {
  const spec = SPEC_BY_FLAG.get(flag);
  assert.ok(spec, flag);
  return spec;
}

function refused(f: () => unknown, message: RegExp): void {
  assert.throws(f, (err: unknown) => err instanceof ConfigError && message.test(err.message) && !err.message.includes('\n'));
}

test('checkValue: a typed value is held to its kind, not coerced from text', () => {
  assert.equal(checkValue(row('part-size-mb'), 8), 8);
  refused(() => checkValue(row('part-size-mb'), '8'), /^invalid --part-size-mb \(SUPERVISOR_PART_SIZE_MB\): "8" is not a number$/);
  refused(() => checkValue(row('part-size-mb'), 5121), /: 5121 is above the maximum 5120$/);
  refused(() => checkValue(row('fresh'), 'true'), /^invalid --fresh \(SUPERVISOR_FRESH\): "true" is not a boolean/);
  refused(() => checkValue(row('s3-sse'), 'rot13'), /: "rot13" is not one of AES256, aws:kms$/);
  refused(() => checkValue(row('export-formats'), ['pdf', 3]), /is not a list of strings$/);
  refused(() => checkValue(row('export-formats'), []), /is an empty list$/);
});

test('parseValue: text from a flag or the environment is coerced, then the same checks apply', () => {
  assert.equal(parseValue(row('part-size-mb'), '8'), 8);
  assert.equal(parseValue(row('fresh'), 'yes'), true);
  assert.deepEqual(parseValue(row('export-formats'), 'pdf, docx,'), ['pdf', 'docx']);
  assert.equal(parseValue(row('workers'), ['2', '3']), 3);
  refused(() => parseValue(row('part-size-mb'), '4'), /^invalid --part-size-mb \(SUPERVISOR_PART_SIZE_MB\): "4" is below the minimum 5$/);
});

test('url rows: http(s) only, and credentials in one are refused without echoing them', () => {
  assert.equal(checkValue(row('s3-endpoint'), 'http://127.0.0.1:9000'), 'http://127.0.0.1:9000');
  refused(() => checkValue(row('s3-endpoint'), 'ftp://x'), /^invalid --s3-endpoint \(SUPERVISOR_S3_ENDPOINT\): "ftp:\/\/x" is not an http\(s\) URL$/);
  refused(() => checkValue(row('drive-root-url'), 'not a url'), /^invalid --drive-root-url .*is not an http\(s\) URL$/);
  assert.throws(
    () => checkValue(row('s3-endpoint'), 'https://user:hunter2@store.example/x'),
    (err: unknown) => err instanceof ConfigError && /"https:\/\/store.example\/x" must not contain credentials/.test(err.message) && !err.message.includes('hunter2'),
  );
});

test('settingValue: absent is the default (a fresh copy of a list), then an ecosystem fallback; null is absent', () => {
  assert.equal(settingValue('partSizeMb', undefined), 5);
  assert.equal(settingValue('partSizeMb', null), 5);
  assert.equal(settingValue('s3Sse', undefined), undefined);
  const formats = settingValue('exportFormats', undefined);
  formats.push('pdf');
  assert.deepEqual(settingValue('exportFormats', undefined), ['docx', 'xlsx', 'pptx', 'svg']);
  assert.equal(settingValue('s3Region', undefined, { AWS_DEFAULT_REGION: 'eu-west-3' }), 'eu-west-3');
  assert.equal(settingValue('s3Region', undefined, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-3' }), 'eu-west-1');
  assert.equal(settingValue('s3Region', 'us-east-2', { AWS_REGION: 'eu-west-1' }), 'us-east-2');
  refused(() => settingValue('driveRetries', 51), /^invalid --drive-retries \(SUPERVISOR_DRIVE_RETRIES\): 51 is above the maximum 50$/);
});

test('bytesSettingValue: a MiB setting sent in bytes keeps the row\'s bounds and default', () => {
  assert.equal(bytesSettingValue('resumeMinMb', undefined), 64 * MiB);
  assert.equal(bytesSettingValue('resumeMinMb', 1234), 1234);
  refused(() => bytesSettingValue('rangeCutoffMb', 1024), /^invalid --range-cutoff-mb \(SUPERVISOR_RANGE_CUTOFF_MB\): 1024 bytes are below the minimum 1 MiB$/);
  refused(() => bytesSettingValue('resumeMinMb', '64'), /is not a whole number of bytes$/);
});
