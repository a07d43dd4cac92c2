// `npm run build`, second step: bundle every process the tool starts with esbuild, so that none of them
// resolves and compiles ~1,000 CommonJS files of the AWS SDK and the Google clients at start-up, and the
// image needs no node_modules beyond the one native addon (docs/container.md, "What is in it").
// - dist/src/bundle/: what every child loads, its entry and the copy processor. A child starts for every
//   worker and again after every recycle (0.25 → 0.12 CPU s per start, ~3 MB less RSS each).
// - dist/src/bundle-supervisor/: the CLI and the demo's service process. better-sqlite3 stays a package:
//   its native addon must be a file, found next to its own JavaScript.
// Both sit one level below dist/src, as the modules they are built from do, so the paths each resolves
// from its own location (the child entry, the copy processor, the demo services) hold in both layouts.
// Splitting keeps one copy of what a process's entries share (the logger, the IPC protocol, the error
// classes), so `instanceof` holds across them. `module` before `main`: the AWS SDK then comes as ES
// modules that esbuild can tree-shake, and no package ends up in a bundle twice (test/child-bundle.test.ts).
import { chmod, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';

const dist = (path: string): string => fileURLToPath(new URL(`../${path}`, import.meta.url));

const common: BuildOptions = {
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  mainFields: ['module', 'main'],
  // Bundled CommonJS calls require() for Node's built-ins; an ES module has none of its own.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  legalComments: 'linked',
  logLevel: 'warning',
};

const bundles: { dir: string; entries: Record<string, string>; external?: string[] }[] = [
  { dir: 'src/bundle', entries: { 'child-main': 'src/child/main.js', 'copy-processor': 'src/copy/copy-processor.js' } },
  { dir: 'src/bundle-supervisor', entries: { main: 'src/cli/main.js', 'services-main': 'src/demo/services-main.js' }, external: ['better-sqlite3'] },
];

for (const { dir, entries, external } of bundles) {
  // A fresh directory: chunk names are content hashes, and an earlier build's chunks would stay behind.
  await rm(dist(dir), { recursive: true, force: true });
  const entryPoints = Object.fromEntries(Object.entries(entries).map(([name, path]) => [name, dist(path)]));
  const result = await build({ ...common, entryPoints, outdir: dist(dir), external: external ?? [], metafile: true });
  // What each bundle imports from outside itself, for the check that the image carries it (test/k8s-manifests.test.ts).
  const outside = Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  await writeFile(dist(`build/${dir.replace('src/', '')}.imports.json`), `${JSON.stringify([...new Set(outside)].sort(), null, 2)}\n`);
}
// tsc and esbuild write the CLIs without the executable bit their shebang (and tests) need.
await chmod(dist('src/cli/main.js'), 0o755);
await chmod(dist('src/bundle-supervisor/main.js'), 0o755);
