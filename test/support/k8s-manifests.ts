// Reading the deployment files the way the manifest tests need them: the YAML streams, what a
// kustomization names, and the bits of Kubernetes semantics (quantities, the container's environment,
// named ports, mounts) the checks rest on. Nothing here needs a cluster: the files are parsed, not applied.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { planMemory } from '../../src/app/memory-setup.js';
import { resolveSettings } from '../../src/config/settings.js';
import type { Settings } from '../../src/config/settings.js';
import type { MemoryPlan } from '../../src/supervisor/memory-plan.js';

// Compiled to dist/test/support/: the repository root is three levels up.
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const K8S = join(ROOT, 'k8s');
const MIB = 1024 * 1024;
const INDEX_ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

// ---- the few Kubernetes shapes the checks read (everything optional: the checks say what is missing)

export interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, unknown>;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}
export interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type?: string };
}
export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: { secretName: string };
}
export interface PodSpec {
  restartPolicy?: string;
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: SecurityContext;
  containers: Container[];
  volumes?: Volume[];
}
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Meta;
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
  spec?: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    backoffLimit?: number;
    accessModes?: string[];
    template?: { metadata?: Meta; spec?: PodSpec };
  };
}
export interface Kustomization {
  namespace?: string;
  resources?: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
}
export interface Manifest {
  file: string;
  doc: K8sObject;
}

// ---- reading the files

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

export function parseYamlFile(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  assert.ok(Array.isArray(docs), `${file}: not a YAML stream`);
  return docs.flatMap((d) => {
    assert.deepEqual(d.errors.map((e) => e.message), [], `${relative(ROOT, file)}: YAML errors`);
    const value: unknown = d.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

export function readKustomization(dir: string): Kustomization {
  const [doc] = parseYamlFile(join(dir, 'kustomization.yaml'));
  return doc as Kustomization;
}

/** What `kubectl apply -k dir` would send, minus kustomize's rewrites (the namespace is checked apart). */
export function render(dir: string): Manifest[] {
  const k = readKustomization(dir);
  return (k.resources ?? []).flatMap((entry) => {
    const path = join(dir, entry);
    assert.ok(existsSync(path), `${relative(ROOT, dir)}/kustomization.yaml names ${entry}, which does not exist`);
    if (statSync(path).isDirectory()) {
      assert.ok(existsSync(join(path, 'kustomization.yaml')), `${entry} is a directory without a kustomization.yaml`);
      return render(path);
    }
    return parseYamlFile(path).map((doc) => ({ file: relative(ROOT, path), doc: doc as K8sObject }));
  });
}

export function ofKind(manifests: Manifest[], kind: string): K8sObject[] {
  return manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
}

export function byName(manifests: Manifest[], kind: string, name: string | undefined): K8sObject {
  const found = ofKind(manifests, kind).find((d) => d.metadata?.name === name);
  assert.ok(found, `no ${kind} named ${String(name)} among the deployed resources`);
  return found;
}

// ---- Kubernetes semantics the checks need

/** A memory quantity in MiB (the unit the cgroup limit is read in by the supervisor). */
export function memoryMb(quantity: string | number | undefined): number {
  assert.ok(quantity !== undefined, 'memory quantity missing');
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(String(quantity));
  assert.ok(m?.[1] !== undefined, `unreadable memory quantity ${String(quantity)}`);
  const factor: Record<string, number> = { Ki: 1024, Mi: MIB, Gi: 1024 * MIB, Ti: 1024 * 1024 * MIB, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Math.floor((Number(m[1]) * (m[2] === undefined ? 1 : (factor[m[2]] ?? NaN))) / MIB);
}

export function cpuCount(quantity: string | number | undefined): number {
  assert.ok(quantity !== undefined, 'cpu quantity missing');
  const s = String(quantity);
  return s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s);
}

/**
 * The container's environment as the kubelet builds it: envFrom ConfigMaps first, then `env` in order,
 * expanding $(NAME) only from names defined before it; JOB_COMPLETION_INDEX comes from the pod annotation.
 */
export function containerEnv(manifests: Manifest[], c: Container, completionIndex: number | null): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of c.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = byName(manifests, 'ConfigMap', from.configMapRef.name);
      for (const [k, v] of Object.entries(cm.data ?? {})) env[k] = String(v);
    }
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom) {
      assert.equal(e.valueFrom.fieldRef?.fieldPath, INDEX_ANNOTATION, `env ${e.name}: only the completion index is resolvable here`);
      assert.ok(completionIndex !== null, `env ${e.name} reads the completion index outside an Indexed Job`);
      env[e.name] = String(completionIndex);
      continue;
    }
    env[e.name] = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (ref, name: string) => env[name] ?? ref);
  }
  if (completionIndex !== null && env.JOB_COMPLETION_INDEX === undefined) {
    // The Job controller appends it when the template does not define it (too late for $(...) references).
    env.JOB_COMPLETION_INDEX = String(completionIndex);
  }
  return env;
}

/** planMemory() with the Job's container limit instead of this machine's. */
export function planFor(settings: Settings, containerLimitMb: number, cpus: number): MemoryPlan {
  return planMemory(settings, { containerLimitMb, physicalMb: 64 * 1024, cpus });
}

/**
 * The memory plan the container's pod computes from `env`, checked: Guaranteed QoS (requests = limits),
 * the plan fits the limit (planMemory throws MemoryPlanError when it does not), the budget leaves the
 * kernel 10% of the limit, and the soft cap leaves a child room above its baseline for its buffer bound.
 */
export function checkedPlan(c: Container, env: Record<string, string>): MemoryPlan {
  const { requests, limits } = c.resources ?? {};
  assert.ok(requests && limits, `${c.name}: resources.requests and limits`);
  for (const resource of ['cpu', 'memory']) {
    assert.ok(limits[resource] !== undefined, `limits.${resource}`);
    assert.equal(String(requests[resource]), String(limits[resource]), `requests.${resource} = limits.${resource} (Guaranteed QoS)`);
  }
  const limitMb = memoryMb(limits.memory);
  const settings = resolveSettings({}, env);
  const plan = planFor(settings, limitMb, cpuCount(limits.cpu));
  assert.ok(plan.budgetMb <= Math.floor(limitMb * 0.9), `budget ${plan.budgetMb} MB leaves the kernel 10% of the ${limitMb} MB limit`);
  assert.ok(plan.workers * plan.childHardMb + plan.reserveMb <= plan.budgetMb, 'workers × hard cap + reserve ≤ budget');
  assert.ok(plan.childSoftMb > settings.childBaselineMb, 'the soft cap leaves room above a child\'s baseline');
  // Caps below that would drain children before they hold their --child-concurrency items' buffers.
  assert.ok(plan.childItemBudgetMb >= plan.childBufferMb, `a child's item budget (soft cap ${plan.childSoftMb} − baseline ${plan.childBaselineMb} MB) holds its buffer bound ${plan.childBufferMb.toFixed(1)} MB`);
  return plan;
}

export function probePort(c: Container, probe: Probe | undefined, which: string): number {
  const port = probe?.httpGet?.port;
  assert.ok(port !== undefined, `${c.name}: ${which} probe has no httpGet port`);
  if (typeof port === 'number') return port;
  const named = c.ports?.find((p) => p.name === port);
  assert.ok(named, `${c.name}: ${which} probe names port ${port}, which the container does not declare`);
  return named.containerPort;
}

/** The mount whose path holds `file` (the longest prefix wins, as in the container's mount table). */
export function mountOf(c: Container, file: string): { name: string; mountPath: string; readOnly?: boolean } | undefined {
  return (c.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, '')}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

export function jobsOf(dir: string): { manifests: Manifest[]; job: K8sObject; pod: PodSpec; container: Container } {
  const manifests = render(dir);
  const jobs = ofKind(manifests, 'Job');
  assert.equal(jobs.length, 1, `${relative(ROOT, dir)}: exactly one Job`);
  const job = jobs[0] as K8sObject;
  const pod = job.spec?.template?.spec;
  assert.ok(pod, 'the Job has a pod template');
  assert.equal(pod.containers.length, 1, 'one container: the supervisor');
  return { manifests, job, pod, container: pod.containers[0] as Container };
}

