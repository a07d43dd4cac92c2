// The bundle every child loads (build/bundle-child.ts): built from packages' ES module builds where they have
// one (the AWS SDK is then tree-shaken), with no package in it twice, and without the generated Drive API;
// and the folders that express the boundary (copy/ behind the Source and Target interfaces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

// The seam (issue 19): the copy depends on the Source and Target interfaces (source/source.ts,
// target/target.ts); only the composition root names the Drive source and the S3 target.
const COMPOSITION_ROOT = new Set(['copy-processor.ts', 'copy-options.ts']);

/** Every module specifier a TypeScript file imports or re-exports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] ?? '');
}

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

test('seam: copy/ imports nothing from source/drive or target/s3 but its composition root', () => {
  const files = readdirSync(join(SRC, 'copy')).filter((f) => f.endsWith('.ts'));
  assert.ok(files.includes('copy-item.ts'), `copy-item.ts is in ${join(SRC, 'copy')}`);
  const crossing = files
    .filter((f) => !COMPOSITION_ROOT.has(f))
    .flatMap((f) => importsOf(join(SRC, 'copy', f)).filter((m) => /\/(source\/drive|target\/s3)\//.test(m)).map((m) => `${f} → ${m}`));
  assert.deepEqual(crossing, [], 'copy modules importing a concrete source or target');
  assert.ok(importsOf(join(SRC, 'copy', 'copy-item.ts')).includes('../source/source.js'), 'copy-item.ts uses the Source interface');
  assert.ok(importsOf(join(SRC, 'copy', 'copy-item.ts')).includes('../target/target.js'), 'copy-item.ts uses the Target interface');
});

test('seam: target/s3 and net/ know no Drive module, and the interfaces no concrete end', () => {
  const s3 = readdirSync(join(SRC, 'target', 's3')).filter((f) => f.endsWith('.ts'));
  const drive = s3.flatMap((f) => importsOf(join(SRC, 'target', 's3', f)).filter((m) => m.includes('source/')).map((m) => `${f} → ${m}`));
  assert.deepEqual(drive, [], 'target/s3 importing from a source');
  const net = readdirSync(join(SRC, 'net')).filter((f) => f.endsWith('.ts'));
  const netCrossing = net.flatMap((f) => importsOf(join(SRC, 'net', f)).filter((m) => /source\/|target\//.test(m)).map((m) => `${f} → ${m}`));
  assert.deepEqual(netCrossing, [], 'net/ (the media client) importing a source or target');
  for (const f of [join(SRC, 'source', 'source.ts'), join(SRC, 'target', 'target.ts')]) {
    const concrete = importsOf(f).filter((m) => /drive|s3|net\//.test(m));
    assert.deepEqual(concrete, [], `${f} imports a concrete module`);
  }
});
