// The README is part of the interface: its two fresh-machine commands, every flag with its env twin, and
// the key-mapping rules as the code states them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { OPTION_SPECS, envName } from '../src/config/option-specs.js';
import { optionTable } from '../src/config/option-table.js';
import { KEY_MAPPING_RULES } from '../src/keys/key-mapper.js';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

test('the README opens with the two commands for a fresh machine', async () => {
  const text = await readFile(README, 'utf8');
  const first = text.indexOf('npm ci && npx supervisor demo');
  const second = text.indexOf('npm ci && npm test');
  assert.ok(first > 0 && first < 600 && second > first && second < 800);
});

test('the configuration table is the one the code generates (every flag and every fallback)', async () => {
  const text = await readFile(README, 'utf8');
  assert.ok(text.includes(optionTable()), 'README table is stale: npm run docs:options');
  for (const spec of OPTION_SPECS) {
    assert.ok(text.includes(`\`--${spec.flag}\``), spec.flag);
    for (const fallback of spec.envFallbacks ?? []) assert.ok(text.includes(fallback), `${spec.flag}: ${fallback}`);
  }
});

test('the README\'s examples of a flag and its env twin are the names the code gives', async () => {
  const text = await readFile(README, 'utf8');
  const examples = [...text.matchAll(/`--([a-z0-9-]+)` ≡ `([A-Z0-9_]+)`/g)];
  assert.ok(examples.length > 0, 'the README states the twin rule by an example');
  for (const [, flag = '', twin] of examples) {
    assert.ok(OPTION_SPECS.some((spec) => spec.flag === flag), `--${flag} is a flag`);
    assert.equal(twin, envName(flag), `--${flag}`);
  }
});

test('the key-mapping rules in the README are the code\'s', async () => {
  const text = await readFile(README, 'utf8');
  for (const line of KEY_MAPPING_RULES.split('\n')) assert.ok(text.includes(line.replace(/^- /, '')), line);
});
