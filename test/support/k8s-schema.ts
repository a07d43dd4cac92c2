// Validation of Kubernetes objects against the official OpenAPI schemas, as the kubernetes-models package
// compiles them (and @kubernetes-models/prometheus-operator for the operator's CRDs). Those schemas check
// types, enums and required fields but allow any extra property, where the API server, with kubectl's
// default --validate=strict, refuses an unknown field: so a typo such as `readOnlyRootFilesytem` would
// pass them and fail at apply time. unknownFields() closes that gap with the same schemas (see there).
import { Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

interface Validating {
  validate(): void;
}
type Make = (doc: unknown) => Validating;

/** One schema error, as Ajv reports it: where, and what. */
export interface SchemaError {
  instancePath: string;
  message: string;
}

// The models take their kind's typed data; the manifests are unknown until validated, which is the point.
function model(ctor: new (data: never) => Validating): Make {
  return (doc) => new ctor(doc as never);
}

// Every kind k8s/ uses. A kind missing here is refused, so a new manifest cannot skip validation.
const MODELS = new Map<string, Make>([
  ['v1/Namespace', model(Namespace)],
  ['v1/ServiceAccount', model(ServiceAccount)],
  ['v1/ConfigMap', model(ConfigMap)],
  ['v1/Secret', model(Secret)],
  ['v1/PersistentVolumeClaim', model(PersistentVolumeClaim)],
  ['batch/v1/Job', model(Job)],
  ['monitoring.coreos.com/v1/PrometheusRule', model(PrometheusRule)],
  ['monitoring.coreos.com/v1/PodMonitor', model(PodMonitor)],
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function modelFor(doc: unknown): Make | string {
  const { apiVersion, kind } = isRecord(doc) ? doc : {};
  const key = `${String(apiVersion)}/${String(kind)}`;
  return MODELS.get(key) ?? `no schema for ${key} (add its model to test/support/k8s-schema.ts)`;
}

function errorsOf(make: Make, doc: unknown): SchemaError[] {
  try {
    make(doc).validate();
    return [];
  } catch (err) {
    // @kubernetes-models/validate throws an Error carrying Ajv's errors.
    const errors = isRecord(err) && Array.isArray(err.errors) ? (err.errors as unknown[]) : null;
    if (!errors) throw err;
    return errors.map((e) => {
      const { instancePath, message } = isRecord(e) ? e : {};
      return { instancePath: String(instancePath), message: String(message) };
    });
  }
}

/** JSON pointers of every property and array element below `value`, parents before children. */
function* paths(value: unknown, at: (string | number)[] = []): Generator<(string | number)[]> {
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : isRecord(value) ? Object.entries(value) : [];
  for (const [key, child] of entries) {
    const path = [...at, key];
    yield path;
    yield* paths(child, path);
  }
}

const pointer = (path: (string | number)[]): string => path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');

/**
 * The properties of a valid `doc` that its schema does not know. Each property in turn is replaced by a
 * value of a type its own value does not have (true, or a string for a boolean): a property the schema
 * knows (a field, or an entry of a typed map such as labels or ConfigMap data) then fails at that path;
 * one it does not know passes. Below an unknown property nothing more is reported.
 */
function unknownFields(make: Make, doc: unknown): string[] {
  const unknown: string[] = [];
  for (const path of paths(doc)) {
    if (typeof path.at(-1) === 'number') continue; // an array element is known when its array is
    const at = pointer(path);
    if (unknown.some((u) => at.startsWith(`${u}/`))) continue;
    const probe = structuredClone(doc) as Record<string | number, unknown>;
    let parent: Record<string | number, unknown> = probe;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string;
    parent[last] = typeof parent[last] === 'boolean' ? 'probe' : true;
    const errors = errorsOf(make, probe);
    if (!errors.some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`))) unknown.push(at);
  }
  return unknown;
}

/** What the API server would refuse in `doc`: schema errors, or else unknown fields; [] when valid. */
export function schemaProblems(doc: unknown): string[] {
  const make = modelFor(doc);
  if (typeof make === 'string') return [make];
  const errors = errorsOf(make, doc);
  if (errors.length > 0) return [...new Set(errors.map((e) => `${e.instancePath || '/'} ${e.message}`))];
  return unknownFields(make, doc).map((at) => `${at} is not a field of this kind`);
}
