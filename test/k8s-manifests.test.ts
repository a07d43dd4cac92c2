// The deployment files are checked against the code they configure: every SUPERVISOR_* name is a real
// flag, the ConfigMap's values pass the CLI's own validation, the memory plan fits the Job's limit, the
// probes hit the metrics port, the pod is locked down, the Indexed Job shards and journals per index, and
// the Dockerfile keeps its invariants (multi-stage, Node >= 22, non-root, tini, production deps only).
// Nothing here needs a cluster or a Docker engine: the files are parsed, not applied.
// The files are also validated against the Kubernetes OpenAPI schemas and rendered by kubectl kustomize
// (k8s-schema.test.ts); the demo Job (k8s-demo.test.ts) and the monitoring (k8s-monitoring.test.ts) apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, posix, relative } from 'node:path';
import { OPTION_SPECS, envName } from '../src/config/option-specs.js';
import { resolveSettings } from '../src/config/settings.js';
import { parseShard } from '../src/config/shard.js';
import { isOrgRun } from '../src/config/org-settings.js';
import { SUPERVISOR_NODE_FLAGS } from '../src/cli/node-flags.js';
import { CHILD_MAIN_PATH } from '../src/supervisor/spawn-child.js';
import { PROCESSOR_PATH } from '../src/app/run-command.js';
import { K8S, ROOT, byName, checkedPlan, containerEnv, jobsOf, mountOf, ofKind, parseYamlFile, planFor, probePort, readKustomization, render, yamlFiles } from './support/k8s-manifests.js';
import type { K8sObject } from './support/k8s-manifests.js';

const FLAG_ENV_NAMES = new Set(OPTION_SPECS.map((s) => envName(s.flag)));

// ---- the deployments

const DEPLOYMENTS = [
  { dir: K8S, indexed: false },
  { dir: join(K8S, 'sharded'), indexed: true },
  { dir: join(K8S, 'organisation'), indexed: true },
] as const;

/** Every environment the Job's pods start with: one, or one per completion index. */
function podEnvs(d: (typeof DEPLOYMENTS)[number]): { index: number | null; env: Record<string, string> }[] {
  const { manifests, job, container } = jobsOf(d.dir);
  if (!d.indexed) return [{ index: null, env: containerEnv(manifests, container, null) }];
  const count = job.spec?.completions ?? 0;
  return Array.from({ length: count }, (_, index) => ({ index, env: containerEnv(manifests, container, index) }));
}

test('k8s: every manifest parses, has apiVersion/kind/name, and every kustomization names files that exist', () => {
  const files = yamlFiles(K8S);
  assert.ok(files.length >= 8, `expected the manifests under k8s/, found ${files.length}`);
  for (const file of files) {
    for (const raw of parseYamlFile(file)) {
      const doc = raw as K8sObject & { kind?: string };
      if (doc.kind === 'Kustomization') continue;
      assert.ok(doc.apiVersion && doc.kind && doc.metadata?.name, `${relative(ROOT, file)}: a document without apiVersion/kind/metadata.name`);
    }
  }
  for (const d of DEPLOYMENTS) {
    const manifests = render(d.dir);
    const kinds = new Set(manifests.map((m) => m.doc.kind));
    for (const kind of ['Namespace', 'ServiceAccount', 'ConfigMap', 'PersistentVolumeClaim', 'Job']) {
      assert.ok(kinds.has(kind), `${relative(ROOT, d.dir)}: no ${kind}`);
    }
    const namespace = readKustomization(d.dir).namespace;
    assert.equal(namespace, ofKind(manifests, 'Namespace')[0]?.metadata?.name, 'the kustomization deploys into the namespace it creates');
    const images = readKustomization(d.dir).images ?? [];
    const { container } = jobsOf(d.dir);
    assert.ok(images.some((i) => i.name === container.image), `the kustomization's images: entry must match the container image ${String(container.image)}`);
  }
});

test('k8s: every SUPERVISOR_* name in k8s/, the Dockerfile and the docs is a real flag', () => {
  const files = [...yamlFiles(K8S), join(K8S, 'README.md'), join(ROOT, 'Dockerfile')];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const [name] of text.matchAll(/\bSUPERVISOR_[A-Z0-9_]+\b/g)) {
      assert.ok(FLAG_ENV_NAMES.has(name), `${relative(ROOT, file)}: ${name} is not the twin of any flag (src/config/option-specs.ts)`);
    }
  }
  for (const d of DEPLOYMENTS) {
    const { manifests, container } = jobsOf(d.dir);
    for (const cm of ofKind(manifests, 'ConfigMap')) {
      for (const [key, value] of Object.entries(cm.data ?? {})) {
        assert.ok(FLAG_ENV_NAMES.has(key), `ConfigMap key ${key} is not a flag's twin`);
        assert.equal(typeof value, 'string', `ConfigMap ${key}: values must be strings (quote numbers)`);
      }
    }
    for (const e of container.env ?? []) {
      assert.ok(!e.name.startsWith('SUPERVISOR_') || FLAG_ENV_NAMES.has(e.name), `container env ${e.name} is not a flag's twin`);
    }
  }
});

test('k8s: the CLI accepts the settings; the Indexed Job shards by JOB_COMPLETION_INDEX with a journal per index', () => {
  for (const d of DEPLOYMENTS) {
    const { job } = jobsOf(d.dir);
    const states = new Set<string>();
    const reports = new Set<string>();
    for (const { index, env } of podEnvs(d)) {
      for (const [k, v] of Object.entries(env)) assert.ok(!v.includes('$('), `${k}=${v}: an unexpanded reference`);
      const settings = resolveSettings({}, env);
      const shard = parseShard(settings.shard, env);
      if (index === null) {
        assert.equal(shard, null, 'the single Job copies everything');
        assert.equal(job.spec?.completionMode ?? 'NonIndexed', 'NonIndexed');
        // One journal, one pod: a second would copy the same files and race on the journal.
        assert.equal(job.spec?.parallelism ?? 1, 1);
        assert.equal(job.spec?.completions ?? 1, 1);
      } else {
        assert.equal(job.spec?.completionMode, 'Indexed');
        assert.equal(job.spec?.parallelism, job.spec?.completions, 'every shard runs at once');
        assert.deepEqual(shard, { index, count: job.spec?.completions }, 'SUPERVISOR_SHARD COUNT equals completions');
      }
      states.add(settings.state);
      if (settings.report !== undefined) reports.add(settings.report);
      assert.ok(settings.s3Bucket, 'SUPERVISOR_S3_BUCKET is set (a placeholder to replace)');
      assert.ok(settings.googleCredentials, 'SUPERVISOR_GOOGLE_CREDENTIALS names the mounted credentials file');
    }
    const pods = job.spec?.completions ?? 1;
    assert.equal(states.size, pods, 'each index has its own journal');
    assert.ok(reports.size === 0 || reports.size === pods, 'each index has its own report');
  }
});

test('k8s: the organisation Job copies every user and shared drive, each pod its shard of the drives', () => {
  const d = DEPLOYMENTS.find((x) => x.dir.endsWith('organisation'));
  assert.ok(d);
  const envs = podEnvs(d);
  assert.ok(envs.length >= 2);
  for (const { index, env } of envs) {
    const settings = resolveSettings({}, env);
    assert.ok(isOrgRun(settings) && settings.allUsers && settings.allSharedDrives, `index ${String(index)}: --all-users --all-shared-drives`);
    assert.match(settings.adminSubject ?? '', /^REPLACE_WITH_/);
    // The index written out, as `--shard $(JOB_COMPLETION_INDEX)/N` reads on the command line.
    assert.equal(env.SUPERVISOR_SHARD, `${String(index)}/${envs.length}`);
  }
  // Outside the organisation Job, the ConfigMap's settings are a one-folder run.
  for (const other of DEPLOYMENTS.filter((x) => x !== d)) for (const { env } of podEnvs(other)) assert.equal(isOrgRun(resolveSettings({}, env)), false);
});

test('k8s: the memory plan fits the Job limit (Guaranteed QoS: requests = limits)', () => {
  for (const d of DEPLOYMENTS) {
    const { container } = jobsOf(d.dir);
    for (const { env } of podEnvs(d)) checkedPlan(container, env);
  }
});

// Drive's default quota is per user, 12,000 requests a minute, and every pod of a Job reads as that user.
const DRIVE_USER_QUOTA_PER_S = 12_000 / 60;

test('k8s: the Drive TPS ceilings of a Job\'s pods add up to at most the per-user quota', () => {
  for (const d of DEPLOYMENTS) {
    const ceilings = podEnvs(d).map(({ env }) => resolveSettings({}, env).driveTps);
    const sum = ceilings.reduce((a, b) => a + b, 0);
    assert.ok(sum <= DRIVE_USER_QUOTA_PER_S, `${relative(ROOT, d.dir)}: ${ceilings.join(' + ')} = ${sum} requests/s > Drive's ${DRIVE_USER_QUOTA_PER_S}`);
    // A ceiling far below the quota would leave the adaptive pace nothing to find.
    assert.ok(sum >= DRIVE_USER_QUOTA_PER_S / 2, `${relative(ROOT, d.dir)}: the pods' ceilings (${sum}/s) waste most of the quota`);
  }
});

test('k8s: probes, Prometheus annotations and the shutdown grace match the settings', () => {
  for (const d of DEPLOYMENTS) {
    const { job, pod, container } = jobsOf(d.dir);
    const [{ env } = { env: {} }] = podEnvs(d);
    const settings = resolveSettings({}, env);
    assert.ok(settings.metricsPort > 0, 'SUPERVISOR_METRICS_PORT is on: the probes need it');
    assert.equal(settings.metricsHost, '0.0.0.0', 'metrics listen on every interface: the kubelet probes the pod IP');
    assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
    assert.equal(probePort(container, container.livenessProbe, 'liveness'), settings.metricsPort);
    assert.equal(probePort(container, container.readinessProbe, 'readiness'), settings.metricsPort);
    const annotations = job.spec?.template?.metadata?.annotations ?? {};
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/port'], String(settings.metricsPort));
    assert.equal(annotations['prometheus.io/path'], '/metrics');
    // The grace covers the children's checkpoint plus closing the journal and writing the report.
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    assert.ok(grace >= settings.shutdownGraceS + 15, `terminationGracePeriodSeconds ${grace} must exceed SUPERVISOR_SHUTDOWN_GRACE_S ${settings.shutdownGraceS} by 15 s or more`);
    assert.equal(pod.restartPolicy, 'OnFailure');
    assert.ok((job.spec?.backoffLimit ?? 0) >= 1, 'backoffLimit allows restarts (the journal resumes)');
  }
});

test('k8s: the pod runs non-root with a read-only root filesystem; only /data and /tmp are writable', () => {
  for (const d of DEPLOYMENTS) {
    const { manifests, pod, container } = jobsOf(d.dir);
    const podSc = pod.securityContext ?? {};
    const sc = container.securityContext ?? {};
    assert.equal(sc.runAsNonRoot ?? podSc.runAsNonRoot, true, 'runAsNonRoot');
    assert.ok((sc.runAsUser ?? podSc.runAsUser ?? 0) > 0, 'runAsUser > 0');
    assert.equal(sc.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
    assert.equal(sc.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation: false');
    assert.ok(sc.capabilities?.drop?.includes('ALL'), 'capabilities drop ALL');
    assert.deepEqual(sc.capabilities?.add ?? [], [], 'no capabilities added');
    assert.equal((sc.seccompProfile ?? podSc.seccompProfile)?.type, 'RuntimeDefault', 'seccompProfile RuntimeDefault');

    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
    const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true);
    assert.deepEqual(writable.map((m) => m.mountPath).sort(), ['/data', '/tmp'], 'writable mounts: /data and /tmp only');
    const tmp = volumes.get(writable.find((m) => m.mountPath === '/tmp')?.name ?? '');
    assert.ok(tmp?.emptyDir, '/tmp is an emptyDir');
    assert.notEqual(tmp.emptyDir.medium, 'Memory', 'a tmpfs /tmp would count against the memory limit');
    const data = volumes.get(writable.find((m) => m.mountPath === '/data')?.name ?? '');
    assert.ok(data?.persistentVolumeClaim, '/data is a PersistentVolumeClaim');
    const pvc = byName(manifests, 'PersistentVolumeClaim', data.persistentVolumeClaim.claimName);
    const modes = pvc.spec?.accessModes ?? [];
    if (d.indexed) assert.ok(modes.includes('ReadWriteMany'), 'the shards share one ReadWriteMany volume');
    else assert.ok(modes.includes('ReadWriteOnce') || modes.includes('ReadWriteOncePod'), 'one pod owns the journal volume');

    for (const { env } of podEnvs(d)) {
      const settings = resolveSettings({}, env);
      for (const [what, file] of [['state', settings.state], ['report', settings.report]] as const) {
        if (file === undefined) continue;
        assert.equal(mountOf(container, file)?.mountPath, '/data', `--${what} ${file} lies on the journal volume`);
      }
      const credentials = settings.googleCredentials ?? '';
      const mount = mountOf(container, credentials);
      assert.ok(mount?.readOnly, `${credentials} lies on a read-only mount`);
      const secretName = volumes.get(mount.name)?.secret?.secretName;
      assert.ok(secretName, `${credentials} comes from a Secret volume`);
      const example = ofKind(render(d.dir), 'Secret').find((s) => s.metadata?.name === secretName);
      assert.equal(example, undefined, 'real secrets are created with kubectl, not deployed from the examples');
      const key = posix.relative(mount.mountPath, credentials);
      const examples = exampleSecrets();
      assert.ok(Object.hasOwn(examples.get(secretName) ?? {}, key), `secrets.example.yaml shows ${secretName} with the key ${key}`);
    }
    for (const from of container.envFrom ?? []) {
      if (from.secretRef) {
        assert.equal(from.secretRef.optional, true, `secret ${from.secretRef.name} is optional (IRSA needs none)`);
        assert.ok(exampleSecrets().has(from.secretRef.name), `secrets.example.yaml shows ${from.secretRef.name}`);
      }
    }
    byName(manifests, 'ServiceAccount', pod.serviceAccountName);
  }
});

function exampleSecrets(): Map<string, Record<string, unknown>> {
  const docs = parseYamlFile(join(K8S, 'base', 'secrets.example.yaml')) as K8sObject[];
  return new Map(docs.filter((d) => d.kind === 'Secret').map((d) => [d.metadata?.name ?? '', { ...d.data, ...d.stringData }]));
}

test('k8s: the example secrets and annotations hold placeholders, never credentials', () => {
  for (const [name, values] of exampleSecrets()) {
    for (const [key, value] of Object.entries(values)) {
      const text = String(value);
      assert.match(text, /REPLACE/, `${name}.${key} is visibly a placeholder`);
      assert.doesNotMatch(text, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, `${name}.${key} holds no private key`);
      assert.doesNotMatch(text, /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, `${name}.${key} holds no AWS access key id`);
    }
  }
  const [sa] = ofKind(render(K8S), 'ServiceAccount');
  const annotations = sa?.metadata?.annotations ?? {};
  assert.match(String(annotations['eks.amazonaws.com/role-arn']), /^arn:aws:iam::\d{12}:role\/EXAMPLE/);
  assert.match(String(annotations['iam.gke.io/gcp-service-account']), /^EXAMPLE.*\.iam\.gserviceaccount\.com$/);
});

test('k8s: the README sizing table is what computeMemoryPlan gives with the default flags', () => {
  const readme = readFileSync(join(K8S, 'README.md'), 'utf8');
  const rows = [...readme.matchAll(/^\|\s*(\d+)Gi\s*\|(.*)\|\s*$/gm)];
  assert.ok(rows.length >= 4, 'the sizing table has a row per pod size');
  const defaults = resolveSettings({}, {});
  for (const row of rows) {
    const cells = (row[2] ?? '').split('|').map((c) => Number(c.replace(/[^\d]/g, '')));
    const [cpus = NaN, budget, fits, workers, hard, soft, heap, peak] = cells;
    const plan = planFor(defaults, Number(row[1]) * 1024, cpus);
    const fit = Math.floor((plan.budgetMb - plan.reserveMb) / plan.childHardMb);
    assert.deepEqual(
      [budget, fits, workers, hard, soft, heap, peak],
      [plan.budgetMb, fit, plan.workers, plan.childHardMb, plan.childSoftMb, plan.childHeapMb, plan.workers * plan.childHardMb + plan.reserveMb],
      `sizing row ${row[1]}Gi/${cpus} CPU`,
    );
  }
});

// ---- the Dockerfile

interface Instruction {
  op: string;
  args: string;
}

/** Instructions per stage: continuation lines joined, comment lines dropped (as Docker's parser does). */
function dockerStages(text: string): { args: Map<string, string>; stages: Instruction[][] } {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const args = new Map<string, string>();
  const stages: Instruction[][] = [];
  for (const line of joined.split('\n')) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m?.[1] || m[2] === undefined) continue;
    const ins = { op: m[1].toUpperCase(), args: m[2].trim() };
    if (ins.op === 'FROM') stages.push([]);
    if (ins.op === 'ARG' && stages.length === 0) {
      const [k = '', v = ''] = ins.args.split('=');
      args.set(k, v);
    }
    stages.at(-1)?.push(ins);
  }
  return { args, stages };
}

function runs(stage: Instruction[]): string {
  return stage.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
}

test('docker: multi-stage on Node >= 22, both builders, no npm or apt at run time, non-root, tini runs the bundled supervisor', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // A `# syntax=` line makes BuildKit pull a frontend image first; RUN --mount stops the classic builder.
  assert.doesNotMatch(text, /^#\s*syntax\s*=/im, 'no syntax directive: nothing is pulled but the base image');
  assert.doesNotMatch(text.split('\n').filter((l) => !/^\s*#/.test(l)).join('\n'), /--mount\b/, 'no RUN --mount: the classic builder refuses it');
  const { args, stages } = dockerStages(text);
  assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
  const images = stages.map((s) => (s[0]?.args.split(/\s+/)[0] ?? '').replace(/\$\{(\w+)\}/g, (_, k: string) => args.get(k) ?? ''));
  for (const image of images) {
    const major = Number(/^node:(\d+)/.exec(image)?.[1]);
    assert.ok(major >= 22, `${image}: Node 22 or later`);
  }
  // The addon is compiled in the build stage for that Node's ABI: the runtime must be the same Node.
  assert.equal(new Set(images).size, 1, `build and runtime share one base image (native addon ABI): ${images.join(', ')}`);
  const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string }; bin?: Record<string, string> });
  const minMajor = Number(/(\d+)/.exec(engines.engines?.node ?? '0')?.[1]);
  assert.ok(Number(/^node:(\d+)/.exec(images[0] ?? '')?.[1]) >= minMajor, 'the image satisfies package.json engines');

  const build = stages.slice(0, -1).map(runs).join('\n');
  for (const tool of ['python3', 'make', 'g++', 'tini']) assert.ok(build.includes(tool), `the build stage installs ${tool}`);
  assert.match(build, /npm ci\b/);
  assert.match(build, /npm run build/);
  assert.match(build, /extra-ca\.pem/, 'the build stage trusts an extra CA when one is given');

  const runtime = stages.at(-1) ?? [];
  const runtimeRuns = runs(runtime);
  assert.doesNotMatch(runtimeRuns, /\b(npm|apt-get|apt)\b/, 'the runtime stage installs nothing');
  // What the runtime stage copies: artefacts the build stage gathered in /out — the bundles, the addon
  // and the two packages that find it, package.json, a static tini — never the extra CA.
  const copied = runtime
    .filter((i) => i.op === 'COPY')
    .map((i) => {
      assert.match(i.args, /^--from=build\s/, `runtime COPY ${i.args}: only artefacts of the build stage`);
      return i.args.split(/\s+/).filter((t) => !t.startsWith('--'))[0] ?? '';
    });
  assert.deepEqual([...copied].sort(), ['/out/dist', '/out/node_modules', '/out/package.json', '/out/tini']);
  assert.match(build, /tini-static \/out\/tini/, 'tini is the static build (the runtime has no apt to install it)');

  const user = runtime.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
  const ids = /^(\d+)(?::(\d+))?$/.exec(user);
  assert.ok(ids?.[1], `USER ${user}: numeric, so runAsNonRoot can verify it`);
  const uid = Number(ids[1]);
  assert.ok(uid > 0, 'USER is not root');
  assert.match(runtimeRuns, new RegExp(`chown ${uid}(:\\d+)? /data`), '/data belongs to the runtime user');

  const entrypoint = JSON.parse(runtime.find((i) => i.op === 'ENTRYPOINT')?.args ?? 'null') as unknown;
  assert.deepEqual(entrypoint, ['tini', '-g', '--', 'node', ...SUPERVISOR_NODE_FLAGS, `/app/${engines.bin?.supervisor ?? ''}`], 'tini -g runs the bin entry with the supervisor\'s heap flags');
  // `npx supervisor` gets the same flags from the bin's shebang, which the bundle keeps from its source.
  for (const file of [join(ROOT, 'src/cli/main.ts'), join(ROOT, engines.bin?.supervisor ?? '')]) {
    assert.equal(readFileSync(file, 'utf8').split('\n')[0], `#!/usr/bin/env -S node ${SUPERVISOR_NODE_FLAGS.join(' ')}`, file);
  }
  assert.deepEqual(JSON.parse(runtime.find((i) => i.op === 'CMD')?.args ?? 'null') as unknown, ['run']);
  assert.equal(runtime.filter((i) => i.op === 'WORKDIR').at(-1)?.args, '/app');

  const envs = runtime.filter((i) => i.op === 'ENV').flatMap((i) => i.args.split(/\s+/)).map((kv) => kv.split('='));
  const state = envs.find(([k]) => k === 'SUPERVISOR_STATE')?.[1];
  assert.equal(state !== undefined && dirname(state), '/data', 'the journal defaults to the writable /data');

  // The pod's user is the image's user: the PVC's fsGroup and the image's /data agree.
  for (const d of DEPLOYMENTS) {
    const { pod, container } = jobsOf(d.dir);
    assert.equal(container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser, uid, 'runAsUser = the Dockerfile USER');
    if (ids[2] !== undefined) assert.equal(pod.securityContext?.fsGroup, Number(ids[2]), 'fsGroup = the Dockerfile group');
  }
});

test('docker: the build context leaves out node_modules, dist, .git and local state', () => {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const ignored = (path: string): boolean => {
    // Docker's rule: the last matching pattern wins; "!" re-includes. Enough of it for top-level names.
    let out = false;
    for (const p of patterns) {
      const negated = p.startsWith('!');
      const body = (negated ? p.slice(1) : p).replace(/\/$/, '');
      if (body === '*' || body === path || path.startsWith(`${body}/`)) out = !negated;
    }
    return out;
  };
  for (const path of ['node_modules', 'dist', '.git', '.supervisor', 'test', '.env']) assert.ok(ignored(path), `${path} stays out of the build context`);
  for (const path of ['package.json', 'package-lock.json', 'tsconfig.json', 'build/bundle.ts', 'src/cli/main.ts', 'extra-ca.pem']) assert.ok(!ignored(path), `${path} is in the build context`);
});

// What `npm install drive-s3-supervisor` users run: the compiled modules of the CLI, the child entry and the
// copy processor (both forked by path) import production dependencies only. The image runs the bundles
// instead, which may import nothing outside themselves but better-sqlite3 (the one package it carries).
const IMAGE_ENTRIES = ['cli/main.js', 'child/main.js', 'copy/copy-processor.js'];

function packagesImported(distSrc: string): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const queue = IMAGE_ENTRIES.map((e) => join(distSrc, e));
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        queue.push(join(dirname(file), spec));
        continue;
      }
      packages.set(packageName(spec), relative(distSrc, file));
    }
  }
  assert.ok(seen.size > 20, `the walk reached the application (${seen.size} modules)`);
  return packages;
}

/** Static import/export statements (tsc keeps multi-line ones multi-line), side-effect imports, import(), require(). */
function importSpecifiers(text: string): string[] {
  const patterns = [/^(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1] ?? ''));
}

function packageName(spec: string): string {
  return spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec);
}

test('docker: everything the package runs imports production dependencies only; the bundles only better-sqlite3', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; bin?: Record<string, string> };
  const production = new Set(Object.keys(pkg.dependencies ?? {}));
  const packages = packagesImported(join(ROOT, 'dist', 'src'));
  assert.ok(packages.has('better-sqlite3'), 'the walk reaches the journal');
  for (const [name, importer] of packages) {
    assert.ok(production.has(name), `${importer} imports ${name}, which is not in package.json dependencies`);
  }
  const bundles = [dirname(CHILD_MAIN_PATH), dirname(join(ROOT, pkg.bin?.supervisor ?? ''))];
  for (const bundle of [CHILD_MAIN_PATH, PROCESSOR_PATH, join(ROOT, pkg.bin?.supervisor ?? '')]) {
    assert.ok(existsSync(bundle) && bundles.includes(dirname(bundle)), `${bundle} is built`);
  }
  // esbuild's own record of what each bundle imports from outside itself (build/bundle.ts writes it).
  const outside = new Set<string>();
  for (const dir of bundles) {
    for (const spec of JSON.parse(readFileSync(join(ROOT, 'dist/build', `${relative(join(ROOT, 'dist/src'), dir)}.imports.json`), 'utf8')) as string[]) {
      if (!spec.startsWith('node:')) outside.add(packageName(spec));
    }
  }
  const builtins = new Set(builtinModules);
  assert.deepEqual([...outside].filter((n) => !builtins.has(n)).sort(), ['better-sqlite3'], 'what the bundles load from node_modules');
});
