// Every manifest under k8s/, and everything each kustomization renders through `kubectl kustomize`, is
// valid against the Kubernetes OpenAPI schemas (kubernetes-models; @kubernetes-models/prometheus-operator
// for the operator's CRDs), unknown fields included: what `kubectl apply` would refuse fails here first.
// The checks against the code are k8s-manifests.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { K8S, ROOT, parseYamlFile, readKustomization, render, yamlFiles } from './support/k8s-manifests.js';
import type { K8sObject } from './support/k8s-manifests.js';
import { schemaProblems } from './support/k8s-schema.js';
import { KustomizeError, kustomizationDirs, kustomize } from './support/kustomize.js';

const identity = (doc: unknown): string => {
  const d = doc as K8sObject;
  return `${String(d.kind)}/${String(d.metadata?.name)}`;
};

test('k8s schema: every manifest under k8s/ (secrets.example.yaml too) is valid, with no unknown field', () => {
  let checked = 0;
  for (const file of yamlFiles(K8S).filter((f) => basename(f) !== 'kustomization.yaml')) {
    for (const [i, doc] of parseYamlFile(file).entries()) {
      assert.deepEqual(schemaProblems(doc), [], `${relative(ROOT, file)}, document ${i + 1} (${identity(doc)})`);
      checked++;
    }
  }
  // 2 namespaces, the service account, the config map, 2 example secrets, 2 claims, 3 Jobs, the rule, the pod monitor
  assert.ok(checked >= 13, `validated ${checked} documents`);
});

test('k8s schema: every kustomization renders with kubectl kustomize, and what it renders is valid', () => {
  const dirs = kustomizationDirs(K8S);
  assert.deepEqual(dirs.map((d) => relative(K8S, d) || '.').sort(), ['.', 'base', 'demo', 'monitoring', 'organisation', 'sharded']);
  for (const dir of dirs) {
    const where = relative(ROOT, dir);
    const rendered = kustomize(dir);
    assert.ok(rendered.length > 0, `${where} renders nothing`);
    for (const doc of rendered) assert.deepEqual(schemaProblems(doc), [], `${where}: ${identity(doc)} as rendered`);
    const k = readKustomization(dir) as { namespace?: string; configMapGenerator?: unknown[] };
    for (const doc of rendered as K8sObject[]) {
      if (k.namespace !== undefined && doc.kind !== 'Namespace') assert.equal(doc.metadata?.namespace, k.namespace, `${where}: ${identity(doc)} lands in ${k.namespace}`);
      for (const c of doc.spec?.template?.spec?.containers ?? []) assert.match(String(c.image), /^drive-s3-supervisor:\d+\.\d+\.\d+$/, `${where}: the images: entry tags ${c.name}'s image`);
    }
    // The other k8s tests read the files the kustomization names (render()): they see what kubectl renders.
    if (k.configMapGenerator === undefined) assert.deepEqual(rendered.map(identity).sort(), render(dir).map((m) => identity(m.doc)).sort(), `${where}: the resources the tests read`);
  }
});

test('k8s schema: a wrong type, an unknown field, a missing required field and an unknown kind are refused', () => {
  const [job] = parseYamlFile(join(K8S, 'job.yaml')) as K8sObject[];
  assert.ok(job);
  interface Editable {
    spec: { backoffLimit: unknown; template: { spec: { containers: Record<string, unknown>[] } } };
  }
  const broken = (edit: (d: Editable) => void): string[] => {
    const copy = structuredClone(job) as unknown as Editable;
    edit(copy);
    return schemaProblems(copy);
  };
  assert.deepEqual(broken((d) => (d.spec.backoffLimit = 'six')), ['/spec/backoffLimit must be integer']);
  assert.deepEqual(
    broken((d) => {
      const c = d.spec.template.spec.containers[0] ?? {};
      c.env = [{ name: 'SUPERVISOR_METRICS_PORT', value: 9090 }];
    }),
    ['/spec/template/spec/containers/0/env/0/value must be string'],
  );
  assert.deepEqual(
    broken((d) => {
      const sc = (d.spec.template.spec.containers[0] ?? {}).securityContext as Record<string, unknown>;
      sc.readOnlyRootFilesytem = sc.readOnlyRootFilesystem;
      delete sc.readOnlyRootFilesystem;
    }),
    ['/spec/template/spec/containers/0/securityContext/readOnlyRootFilesytem is not a field of this kind'],
  );
  assert.deepEqual(
    broken((d) => delete (d.spec.template.spec.containers[0] ?? {}).name),
    ['/spec/template/spec/containers/0 must have required property name'],
  );
  assert.deepEqual(schemaProblems({ ...job, apiVersion: 'apps/v1', kind: 'Deploymnet' }), ['no schema for apps/v1/Deploymnet (add its model to test/support/k8s-schema.ts)']);
  const [rule] = parseYamlFile(join(K8S, 'monitoring', 'prometheus-rule.yaml')) as { spec: { groups: { rules: Record<string, unknown>[] }[] } }[];
  const badRule = structuredClone(rule);
  const first = badRule?.spec.groups[0]?.rules[0];
  assert.ok(first);
  first.for = 10;
  assert.deepEqual(schemaProblems(badRule), ['/spec/groups/0/rules/0/for must be string']);
});

test('k8s schema: a kustomization naming a missing file fails to render, and a missing kubectl says so in one line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-broken-'));
  try {
    writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - missing-job.yaml\n');
    assert.throws(() => kustomize(dir), (err: unknown) => err instanceof KustomizeError && /failed \(exit 1\): .*missing-job\.yaml/.test(err.message));
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-bin');
    try {
      assert.throws(() => kustomize(K8S), (err: unknown) => err instanceof KustomizeError && /^kubectl not found on PATH: [^\n]+$/.test(err.message));
    } finally {
      process.env.PATH = path;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
