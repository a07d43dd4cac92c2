// The bundle every child loads (build/bundle-child.ts): built from packages' ES module builds where they have
// one (the AWS SDK is then tree-shaken), with no package in it twice, and without the generated Drive API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CHILD_MAIN_PATH } from '../src/supervisor/spawn-child.js';

const BUNDLE_DIR = dirname(CHILD_MAIN_PATH);

function bundleFiles(): string[] {
  return readdirSync(BUNDLE_DIR).filter((f) => f.endsWith('.js'));
}

/** esbuild names every bundled module in a `// node_modules/…` comment above its code. */
function bundledModules(): string[] {
  const out: string[] = [];
  for (const f of bundleFiles()) {
    for (const m of readFileSync(join(BUNDLE_DIR, f), 'utf8').matchAll(/^\/\/ (node_modules\/\S+)$/gm)) out.push(m[1] ?? '');
  }
  return out;
}

test('child bundle: the AWS SDK comes from its ES module build, and no package from two builds', () => {
  const modules = bundledModules();
  assert.ok(modules.some((m) => m.startsWith('node_modules/@aws-sdk/client-s3/dist-es/')), 'client-s3 is bundled from dist-es');
  const builds = new Map<string, Set<string>>();
  for (const m of modules) {
    const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)\/(dist-es|dist-cjs)\//.exec(m);
    if (match?.[1] && match[2]) builds.set(match[1], (builds.get(match[1]) ?? new Set()).add(match[2]));
  }
  const twice = [...builds].filter(([, b]) => b.size > 1).map(([name]) => name);
  assert.deepEqual(twice, [], `packages bundled from both their ESM and CommonJS builds: ${twice.join(', ')}`);
  assert.ok(!builds.get('@aws-sdk/client-s3')?.has('dist-cjs'), 'client-s3 is not bundled from dist-cjs');
});

test('child bundle: the auth library without the generated Drive API (listing is the supervisor’s)', () => {
  const modules = bundledModules();
  assert.ok(modules.some((m) => m.startsWith('node_modules/google-auth-library/')), 'google-auth-library is bundled');
  const generated = modules.filter((m) => m.startsWith('node_modules/@googleapis/drive/') || m.startsWith('node_modules/googleapis-common/'));
  assert.deepEqual(generated, [], 'a child loads the generated Drive API');
});
