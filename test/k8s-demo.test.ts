// k8s/demo/: `supervisor demo` as a Job, so an operator proves the image, the pod's security context and
// the probes in their own cluster before pointing the migration at real data. Checked against the code
// (the command, the settings, the memory plan) and against the migration Job it stands in for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCli } from '../src/cli/cli.js';
import { resolveSettings } from '../src/config/settings.js';
import { K8S, ROOT, checkedPlan, containerEnv, jobsOf, memoryMb, ofKind, probePort, render } from './support/k8s-manifests.js';

const DEMO = join(K8S, 'demo');
// The demo's fake Drive and s3rver run in a process of their own inside the pod, outside the plan:
// measured at 121 MB RSS at the peak of the default demo (300 files and 3 × 256 MiB). Twice that must
// fit under the pause line beside the plan, or dispatch would pause on the servers' account.
const DEMO_SERVICES_MB = 2 * 121;
// What s3rver keeps in /tmp at the peak (the objects, and a large file's parts while it completes): 1132 MB measured.
const DEMO_TMP_MB = 1132;

function demo(): ReturnType<typeof jobsOf> & { env: Record<string, string> } {
  const job = jobsOf(DEMO);
  return { ...job, env: containerEnv(job.manifests, job.container, null) };
}

test('k8s demo: the Job runs `demo` through the image ENTRYPOINT, once, with the settings the CLI accepts', async () => {
  const { job, pod, container, env } = demo();
  const { command, args } = container as { command?: string[]; args?: string[] };
  assert.equal(command, undefined, 'the image ENTRYPOINT (tini -g -- node … main.js) stays');
  assert.deepEqual(args, ['demo']);
  assert.equal((await parseCli(args)).command, 'demo');
  assert.equal(pod.restartPolicy, 'Never', 'a failed demo stays failed, with its logs');
  assert.equal(job.spec?.backoffLimit, 0);
  const settings = resolveSettings({}, env);
  assert.equal(settings.metricsHost, '0.0.0.0', 'metrics listen on every interface: the kubelet probes the pod IP');
  assert.equal(probePort(container, container.livenessProbe, 'liveness'), settings.metricsPort);
  assert.equal(probePort(container, container.readinessProbe, 'readiness'), settings.metricsPort);
  const annotations = job.spec?.template?.metadata?.annotations ?? {};
  assert.equal(annotations['prometheus.io/port'], String(settings.metricsPort));
  assert.equal(annotations['prometheus.io/scrape'], 'true');
});

test('k8s demo: the pod is the migration pod — security context, probes, port — without the data and the credentials', () => {
  const real = jobsOf(K8S);
  const { manifests, pod, container } = demo();
  assert.deepEqual(pod.securityContext, real.pod.securityContext, 'the pod security context is the migration Job\'s');
  assert.deepEqual(container.securityContext, real.container.securityContext, 'the container security context is the migration Job\'s');
  assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
  assert.deepEqual(container.livenessProbe, real.container.livenessProbe, 'the liveness probe is the migration Job\'s');
  assert.deepEqual(container.readinessProbe, real.container.readinessProbe, 'the readiness probe is the migration Job\'s');
  assert.deepEqual(container.ports, real.container.ports);
  assert.equal(container.image, real.container.image);

  // Writable: /tmp only, an emptyDir on disk large enough for what s3rver keeps there.
  const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true);
  assert.deepEqual(writable.map((m) => m.mountPath), ['/tmp']);
  assert.deepEqual((pod.volumes ?? []).map((v) => v.name), [writable[0]?.name]);
  const tmp = pod.volumes?.[0]?.emptyDir;
  assert.ok(tmp, '/tmp is an emptyDir');
  assert.notEqual(tmp.medium, 'Memory', 'a tmpfs /tmp would count against the memory limit');
  assert.ok(memoryMb(tmp.sizeLimit) >= 2 * DEMO_TMP_MB, `/tmp sizeLimit ${String(tmp.sizeLimit)} holds twice the ${DEMO_TMP_MB} MB s3rver keeps at the peak`);

  // No Secret, no service account token, no cloud identity: nothing in the pod can reach real data.
  const keys = (value: unknown): string[] =>
    typeof value === 'object' && value !== null ? Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]) : [];
  const secretish = manifests.flatMap((m) => keys(m.doc)).filter((k) => /secret/i.test(k));
  assert.deepEqual(secretish, [], 'no Secret reference anywhere in the demo');
  assert.equal(ofKind(manifests, 'Secret').length, 0);
  assert.equal((pod as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, false);
  assert.equal(pod.serviceAccountName, undefined, 'not the migration\'s service account (IRSA, Workload Identity)');
  assert.equal(container.envFrom, undefined, 'no ConfigMap with the migration\'s settings');
});

test('k8s demo: the memory plan fits the demo\'s limit with room for the fake Drive and s3rver under the pause line', () => {
  const { container, env } = demo();
  const plan = checkedPlan(container, env);
  const peak = plan.workers * plan.childHardMb + plan.reserveMb;
  assert.ok(peak + DEMO_SERVICES_MB <= plan.pauseAtMb, `plan ${peak} MB + demo services ${DEMO_SERVICES_MB} MB ≤ pause line ${plan.pauseAtMb} MB`);
  // The workers are explicit: the default (≤ 2 × CPUs) would read the node's CPUs, not the pod's.
  assert.ok(env.SUPERVISOR_WORKERS !== undefined, 'SUPERVISOR_WORKERS is set');
});

test('k8s demo: its own namespace, under the same Pod Security Standard; the READMEs say how to run it', () => {
  const manifests = render(DEMO);
  const [ns] = ofKind(manifests, 'Namespace');
  const [realNs] = ofKind(render(K8S), 'Namespace');
  assert.ok(ns && realNs);
  assert.notEqual(ns.metadata?.name, realNs.metadata?.name, 'deleting the demo (kubectl delete -k) must not delete the migration\'s namespace');
  assert.deepEqual(ns.metadata?.labels, realNs.metadata?.labels, 'the same Pod Security Standard labels');
  for (const readme of [join(K8S, 'README.md'), join(ROOT, 'README.md')]) {
    assert.match(readFileSync(readme, 'utf8'), /kubectl apply -k k8s\/demo/, `${readme} shows how to run the demo`);
  }
});
