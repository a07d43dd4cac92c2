// `kubectl kustomize DIR`: what `kubectl apply -k DIR` would send, rendered by the real kustomize
// (v5.5 in kubectl v1.32, on the development machines and CI), so a broken kustomization fails the tests.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './k8s-manifests.js';

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

/** Every directory under `dir` (itself included) that holds a kustomization.yaml. */
export function kustomizationDirs(dir: string): string[] {
  const below = readdirSync(dir)
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isDirectory())
    .flatMap(kustomizationDirs);
  return existsSync(join(dir, 'kustomization.yaml')) ? [dir, ...below] : below;
}

/** The rendered objects; throws KustomizeError with one line when kubectl is missing or refuses. */
export function kustomize(dir: string): unknown[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new KustomizeError('kubectl not found on PATH: the k8s tests render every kustomization with `kubectl kustomize` (kubectl >= 1.32, as on CI)');
  }
  if (r.error) throw new KustomizeError(`kubectl kustomize ${relative(ROOT, dir)}: ${r.error.message}`);
  if (r.status !== 0) throw new KustomizeError(`kubectl kustomize ${relative(ROOT, dir)} failed (exit ${String(r.status)}): ${r.stderr.trim()}`);
  return parseAllDocuments(r.stdout).flatMap((d) => {
    if (d.errors.length > 0) throw new KustomizeError(`kubectl kustomize ${relative(ROOT, dir)}: unreadable output: ${d.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = d.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}
