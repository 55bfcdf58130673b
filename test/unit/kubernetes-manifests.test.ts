// deploy/kubernetes: renders the base and the example overlay with the real `kustomize build` (installed into
// .tools/bin by deploy/kubernetes/ensure-kustomize.sh when missing), validates every object against the
// Kubernetes OpenAPI schemas (kubernetes-models, @kubernetes-models/argo-cd), and checks what the schemas
// cannot: no Secret values, RBAC scope, probes, security, selectors, and that runway.yaml is valid for Runway.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { Ingress, type IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
  type IClusterRoleBinding,
  type IRole,
  type IRoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import {
  ConfigMap,
  Secret,
  Service,
  ServiceAccount,
  type IConfigMap,
  type IContainer,
  type IService,
  type IServiceAccount,
} from 'kubernetes-models/v1';
import { Application, type IApplication } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { ConfigError, parseConfig } from '../../config/load.js';
import type { RunwayConfig } from '../../config/schema.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const deployDir = join(root, 'deploy/kubernetes');
const baseDir = join(deployDir, 'base');
const overlayDir = join(deployDir, 'overlays/example');
const applicationFile = join(deployDir, 'argocd/runway-application.yaml');
const docsFile = join(root, 'docs/kubernetes.md');

const IMAGE = 'registry.example.com/runway/runway';
const SECRET_NAME = 'runway-secrets';
const ARGOCD_NAMESPACE = 'argocd';

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

// Every kind the manifests may contain, with its schema validator. A kind missing here fails the test, so
// nothing reaches a cluster unvalidated.
const validators: Record<string, (obj: K8sObject) => void> = {
  'apps/v1/Deployment': (o) => new Deployment(o).validate(),
  'v1/Service': (o) => new Service(o).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o).validate(),
  'v1/ConfigMap': (o) => new ConfigMap(o).validate(),
  'v1/Secret': (o) => new Secret(o).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o).validate(),
  'rbac.authorization.k8s.io/v1/Role': (o) => new Role(o).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (o) => new RoleBinding(o as unknown as IRoleBinding).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => new ClusterRole(o).validate(),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o) =>
    new ClusterRoleBinding(o as unknown as IClusterRoleBinding).validate(),
  'networking.k8s.io/v1/Ingress': (o) => new Ingress(o).validate(),
  'argoproj.io/v1alpha1/Application': (o) => new Application(o as unknown as IApplication).validate(),
};

function parseObjects(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const obj = doc.toJS() as K8sObject | null;
    return obj ? [obj] : [];
  });
}

function validate(obj: K8sObject): void {
  const validator = validators[`${obj.apiVersion}/${obj.kind}`];
  if (!validator) throw new Error(`no validator for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  try {
    validator(obj);
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata?.name} is invalid: ${(err as Error).message}`);
  }
}

let kustomize = '';
const tmpDirs: string[] = [];

function ensureKustomize(): string {
  try {
    return execFileSync('bash', [join(deployDir, 'ensure-kustomize.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 290_000,
    }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string | Buffer }).stderr?.toString().trim() ?? '';
    throw new Error(
      `kustomize v5 is needed to render deploy/kubernetes and could not be found or installed ` +
        `(install Go, put kustomize on PATH, or set KUSTOMIZE=/path/to/kustomize)\n${stderr}`,
    );
  }
}

function build(dir: string): K8sObject[] {
  const out = execFileSync(kustomize, ['build', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseObjects(out, `kustomize build ${relative(root, dir) || dir}`);
}

function find<T>(objects: K8sObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0] as T;
}

function ofKind<T>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** Every value found under `key` anywhere in `value`. */
function collect(value: unknown, key: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(value)) value.forEach((v) => collect(v, key, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push(v);
      collect(v, key, out);
    }
  }
  return out;
}

function selects(selector: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined) {
  expect(selector?.matchExpressions ?? [], 'only matchLabels selectors are used').toEqual([]);
  const wanted = Object.entries(selector?.matchLabels ?? {});
  expect(wanted.length, 'a selector must not be empty').toBeGreaterThan(0);
  return (labels: Record<string, string> | undefined) => wanted.every(([k, v]) => labels?.[k] === v);
}

function podLabels(d: IDeployment): Record<string, string> {
  return d.spec!.template.metadata!.labels!;
}

function containers(d: IDeployment): IContainer[] {
  return d.spec!.template.spec!.containers;
}

/** The container port a probe or Service port refers to (by name or number), or undefined. */
function containerPort(d: IDeployment, port: number | string | undefined): number | undefined {
  for (const c of containers(d)) {
    for (const p of c.ports ?? []) {
      if (p.name === port || p.containerPort === port) return p.containerPort;
    }
  }
  return undefined;
}

/** The environment the container gets: literal values, and a stand-in for each secretKeyRef. */
function containerEnv(c: IContainer): NodeJS.ProcessEnv {
  return Object.fromEntries(
    (c.env ?? []).map((e) => [e.name, e.value ?? `dummy-${e.valueFrom?.secretKeyRef?.key ?? e.name}`]),
  );
}

/** The runway.yaml a Deployment mounts at $RUNWAY_CONFIG, validated with the container's own environment. */
function mountedConfig(objects: K8sObject[], d: IDeployment): { config: RunwayConfig; text: string } {
  const [c] = containers(d);
  const env = containerEnv(c!);
  const configPath = env.RUNWAY_CONFIG;
  expect(configPath, `${d.metadata!.name}: RUNWAY_CONFIG`).toBe('/etc/runway/runway.yaml');
  const mount = c!.volumeMounts?.find((m) => configPath!.startsWith(`${m.mountPath}/`));
  expect(mount, `${d.metadata!.name}: a volume mounted at ${configPath}`).toBeDefined();
  const volume = d.spec!.template.spec!.volumes?.find((v) => v.name === mount!.name);
  const cmName = volume?.configMap?.name;
  expect(cmName, `${d.metadata!.name}: the config volume is a ConfigMap`).toBeDefined();
  const file = configPath!.slice(mount!.mountPath.length + 1);
  const item = volume!.configMap!.items?.find((i) => i.path === file);
  const cm = find<IConfigMap>(objects, 'ConfigMap', cmName!);
  const text = cm.data?.[item?.key ?? file];
  expect(text, `${cmName} holds ${file}`).toBeTypeOf('string');
  try {
    return { config: parseConfig(text!, env, `${cmName}/${file}`), text: text! };
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`${d.metadata!.name}: ${err.message}`);
    throw err;
  }
}

let base: K8sObject[];
let overlay: K8sObject[];
let application: K8sObject;

beforeAll(() => {
  kustomize = ensureKustomize();
  base = build(baseDir);
  overlay = build(overlayDir);
  const apps = parseObjects(readFileSync(applicationFile, 'utf8'), applicationFile);
  expect(apps).toHaveLength(1);
  application = apps[0]!;
}, 300_000);

afterAll(() => {
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
});

describe('deploy/kubernetes', () => {
  it('renders objects that all validate against the Kubernetes and Argo CD schemas', () => {
    expect(base.length).toBeGreaterThan(0);
    expect(overlay.length).toBeGreaterThanOrEqual(base.length);
    for (const obj of [...base, ...overlay, application]) validate(obj);
    const kinds = new Set(overlay.map((o) => o.kind));
    for (const kind of ['Deployment', 'Service', 'ConfigMap', 'ServiceAccount', 'PodDisruptionBudget', 'Role']) {
      expect(kinds).toContain(kind);
    }
  });

  it('holds no Secret values: no Secret objects, every secretKeyRef points to runway-secrets', () => {
    const sources = yamlFiles(deployDir).flatMap((f) => parseObjects(readFileSync(f, 'utf8'), f));
    for (const obj of [...sources, ...base, ...overlay]) {
      if (obj.kind === 'Secret') {
        expect(obj.data ?? obj.stringData, `Secret/${obj.metadata.name} carries values`).toBeUndefined();
      }
    }
    expect(ofKind(overlay, 'Secret')).toEqual([]);
    for (const objects of [base, overlay]) {
      const refs = collect(objects, 'secretKeyRef') as { name?: string; key?: string }[];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        expect(ref.name, `secretKeyRef ${ref.key}`).toBe(SECRET_NAME);
        expect(ref.key).toMatch(/^[A-Z][A-Z0-9_]*$/);
      }
      for (const ref of collect(objects, 'secretRef') as { name?: string }[]) expect(ref.name).toBe(SECRET_NAME);
    }
    // The docs list every key the Secret needs.
    const docs = readFileSync(docsFile, 'utf8');
    const keys = new Set((collect(overlay, 'secretKeyRef') as { key: string }[]).map((r) => r.key));
    for (const key of keys) expect(docs, `docs/kubernetes.md mentions ${key}`).toContain(key);
  });

  it.each([
    ['runway-api', 'dist/api/main.js', 8080, { liveness: '/healthz', readiness: '/readyz' }],
    ['runway-worker', 'dist/worker/main.js', 9464, { liveness: '/healthz', readiness: '/healthz' }],
  ])('%s runs %s with probes on :%i, resources and a locked-down security context', (name, entry, port, paths) => {
    for (const objects of [base, overlay]) {
      const d = find<IDeployment>(objects, 'Deployment', name);
      const pod = d.spec!.template.spec!;
      expect(containers(d)).toHaveLength(1);
      const c = containers(d)[0]!;
      // The compiled entry point (npm run build), run by node itself: no tsx loader in production.
      expect(c.command, 'entry point').toEqual(['node', entry]);
      const source = entry.replace(/^dist\//, '').replace(/\.js$/, '.ts');
      expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      expect(c.workingDir).toBe('/app');

      expect(c.livenessProbe?.httpGet?.path).toBe(paths.liveness);
      expect(c.readinessProbe?.httpGet?.path).toBe(paths.readiness);
      for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
        expect(containerPort(d, probe?.httpGet?.port), `${name} probe port`).toBe(port);
      }

      for (const kind of ['requests', 'limits'] as const) {
        expect(c.resources?.[kind]?.cpu, `${name} ${kind}.cpu`).toBeDefined();
        expect(c.resources?.[kind]?.memory, `${name} ${kind}.memory`).toBeDefined();
      }

      const sc = c.securityContext ?? {};
      const psc = pod.securityContext ?? {};
      expect(sc.runAsNonRoot ?? psc.runAsNonRoot).toBe(true);
      expect(sc.runAsUser ?? psc.runAsUser).toBe(10001);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      expect(sc.capabilities?.drop).toEqual(['ALL']);
      expect(sc.capabilities?.add ?? []).toEqual([]);
      expect(sc.privileged ?? false).toBe(false);
      expect((sc.seccompProfile ?? psc.seccompProfile)?.type).toBe('RuntimeDefault');

      // Writable places on a read-only root: /tmp, and (worker) the git cache of runway.yaml.
      const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
      const writable = (c.volumeMounts ?? []).filter((m) => emptyDirs.has(m.name)).map((m) => m.mountPath);
      expect(writable).toContain('/tmp');
      const { config } = mountedConfig(objects, d);
      if (name === 'runway-worker') {
        expect(writable).toContain(config.git.cacheDir);
        expect(containerEnv(c).RUNWAY_METRICS_PORT).toBe(String(port));
      } else {
        expect(config.server.port).toBe(port);
        expect(config.server.host, 'the API must listen beyond loopback').toBe('0.0.0.0');
      }
    }
  });

  it('ships a runway.yaml that Runway accepts, with every ${VAR} set in both processes', () => {
    for (const objects of [base, overlay]) {
      const configs = ['runway-api', 'runway-worker'].map((n) =>
        mountedConfig(objects, find<IDeployment>(objects, 'Deployment', n)),
      );
      expect(configs[0]!.text, 'API and worker read the same runway.yaml').toBe(configs[1]!.text);
      const { config, text } = configs[0]!;
      expect(config.argocd?.driver).toBe('kubernetes');
      expect(config.argocd?.namespace).toBe(ARGOCD_NAMESPACE);
      expect(config.temporal.address).toMatch(/\.svc(\.cluster\.local)?:7233$/);
      expect(config.gitlab?.token).toBe('dummy-GITLAB_TOKEN');
      expect(Object.keys(config.services).length).toBeGreaterThan(0);
      // Secrets come only from the environment: nothing that looks like a credential is written inline.
      expect(text).not.toMatch(/glpat-|xox[abp]-|-----BEGIN/);
    }
  });

  it('grants the worker exactly get, patch and watch on argoproj.io applications (and get on appprojects) in argocd', () => {
    for (const objects of [base, overlay]) {
      expect(ofKind(objects, 'ClusterRole')).toEqual([]);
      expect(ofKind(objects, 'ClusterRoleBinding')).toEqual([]);
      const roles = ofKind<IRole>(objects, 'Role');
      expect(roles).toHaveLength(1);
      const role = roles[0]!;
      expect(role.metadata?.namespace).toBe(ARGOCD_NAMESPACE);
      expect(role.rules).toEqual([
        { apiGroups: ['argoproj.io'], resources: ['applications'], verbs: expect.any(Array) },
        // Sync windows live on the AppProject: read-only, to say until when a window blocks a deploy.
        { apiGroups: ['argoproj.io'], resources: ['appprojects'], verbs: ['get'] },
      ]);
      expect([...role.rules![0]!.verbs].sort()).toEqual(['get', 'patch', 'watch']);

      const bindings = ofKind<IRoleBinding>(objects, 'RoleBinding');
      expect(bindings).toHaveLength(1);
      const binding = bindings[0]!;
      expect(binding.metadata?.namespace).toBe(ARGOCD_NAMESPACE);
      expect(binding.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'Role',
        name: role.metadata!.name,
      });
      const worker = find<IDeployment>(objects, 'Deployment', 'runway-worker');
      const saName = worker.spec!.template.spec!.serviceAccountName!;
      const sa = find<IServiceAccount>(objects, 'ServiceAccount', saName);
      expect(binding.subjects).toHaveLength(1);
      expect(binding.subjects![0]).toMatchObject({ kind: 'ServiceAccount', name: saName });
      if (objects === overlay) {
        expect(binding.subjects![0]!.namespace).toBe('runway');
        expect(sa.metadata?.namespace).toBe('runway');
      }

      // The API needs no Kubernetes access at all: its pods get no token.
      const api = find<IDeployment>(objects, 'Deployment', 'runway-api');
      expect(api.spec!.template.spec!.serviceAccountName).not.toBe(saName);
      expect(api.spec!.template.spec!.automountServiceAccountToken).toBe(false);
    }
  });

  it('keeps the RBAC in argocd and binds the right ServiceAccount whatever namespace an overlay picks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runway-overlay-'));
    tmpDirs.push(dir);
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `resources: [${JSON.stringify(relative(dir, baseDir))}]\ntransformers: [namespace.yaml]\n`,
    );
    writeFileSync(
      join(dir, 'namespace.yaml'),
      readFileSync(join(overlayDir, 'namespace.yaml'), 'utf8').replace(/namespace: runway/, 'namespace: release-tools'),
    );
    const objects = build(dir);
    for (const obj of objects) {
      const expected = obj.kind === 'Role' || obj.kind === 'RoleBinding' ? ARGOCD_NAMESPACE : 'release-tools';
      expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name}`).toBe(expected);
    }
    const binding = ofKind<IRoleBinding>(objects, 'RoleBinding')[0]!;
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'runway-worker', namespace: 'release-tools' }]);
  });

  it('gives each Deployment a PodDisruptionBudget that selects exactly its pods', () => {
    for (const objects of [base, overlay]) {
      const deployments = ofKind<IDeployment>(objects, 'Deployment');
      expect(deployments.map((d) => d.metadata!.name).sort()).toEqual(['runway-api', 'runway-worker']);
      const pdbs = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
      for (const d of deployments) {
        const matching = pdbs.filter((p) => selects(p.spec?.selector)(podLabels(d)));
        expect(matching, `PDB of ${d.metadata!.name}`).toHaveLength(1);
        expect(matching[0]!.spec?.minAvailable).toBe(1);
        // The Deployment's own selector matches its template too (else the API server refuses it).
        expect(selects(d.spec!.selector)(podLabels(d))).toBe(true);
        expect(d.spec!.replicas).toBeGreaterThan(1);
      }
      for (const p of pdbs) {
        expect(deployments.filter((d) => selects(p.spec?.selector)(podLabels(d)))).toHaveLength(1);
      }
    }
  });

  it('routes each Service to one Deployment on a declared container port (api: 80 -> 8080)', () => {
    for (const objects of [base, overlay]) {
      const deployments = ofKind<IDeployment>(objects, 'Deployment');
      const services = ofKind<IService>(objects, 'Service');
      expect(services.length).toBeGreaterThanOrEqual(2);
      for (const s of services) {
        const matching = deployments.filter((d) => selects({ matchLabels: s.spec?.selector })(podLabels(d)));
        expect(matching, `pods of Service/${s.metadata!.name}`).toHaveLength(1);
        for (const p of s.spec!.ports!) {
          expect(containerPort(matching[0]!, p.targetPort ?? p.port), `${s.metadata!.name}:${p.port}`).toBeDefined();
        }
      }
      const api = find<IService>(objects, 'Service', 'runway-api');
      const apiDeployment = find<IDeployment>(objects, 'Deployment', 'runway-api');
      expect(selects({ matchLabels: api.spec?.selector })(podLabels(apiDeployment))).toBe(true);
      expect(api.spec!.ports).toHaveLength(1);
      expect(api.spec!.ports![0]!.port).toBe(80);
      expect(containerPort(apiDeployment, api.spec!.ports![0]!.targetPort)).toBe(8080);
      // The worker's metrics are discoverable: a Service on the metrics port and scrape annotations.
      const worker = find<IDeployment>(objects, 'Deployment', 'runway-worker');
      expect(worker.spec!.template.metadata!.annotations?.['prometheus.io/port']).toBe('9464');
    }
    for (const ingress of ofKind<IIngress>(overlay, 'Ingress')) {
      for (const backend of collect(ingress.spec, 'service') as { name: string; port: { name?: string } }[]) {
        const service = find<IService>(overlay, 'Service', backend.name);
        expect(service.spec!.ports!.map((p) => p.name)).toContain(backend.port.name);
      }
    }
  });

  it('applies the overlay: namespace, image tag, replicas, resources, its own config', () => {
    for (const d of ofKind<IDeployment>(base, 'Deployment')) {
      for (const c of containers(d)) expect(c.image).toBe(`${IMAGE}:0.1.0`);
    }
    for (const d of ofKind<IDeployment>(overlay, 'Deployment')) {
      for (const c of containers(d)) expect(c.image).toBe(`${IMAGE}:0.2.0`);
    }
    for (const obj of overlay) {
      const expected = obj.kind === 'Role' || obj.kind === 'RoleBinding' ? ARGOCD_NAMESPACE : 'runway';
      expect(obj.metadata.namespace, `${obj.kind}/${obj.metadata.name}`).toBe(expected);
    }
    const api = find<IDeployment>(overlay, 'Deployment', 'runway-api');
    const worker = find<IDeployment>(overlay, 'Deployment', 'runway-worker');
    expect(api.spec!.replicas).toBe(3);
    expect(containerEnv(containers(api)[0]!).RUNWAY_PUBLIC_URL).toBe('https://runway.example.com');
    expect(containers(worker)[0]!.resources?.limits?.memory).toBe('1536Mi');
    // The patch merged into the base container instead of replacing it.
    expect(containers(worker)[0]!.livenessProbe).toBeDefined();
    expect(containerEnv(containers(worker)[0]!).GITLAB_TOKEN).toBe('dummy-GITLAB_TOKEN');

    // One ConfigMap, the overlay's runway.yaml, under a content-hashed name both Deployments use.
    const configMaps = ofKind<IConfigMap>(overlay, 'ConfigMap');
    expect(configMaps).toHaveLength(1);
    expect(configMaps[0]!.metadata!.name).toMatch(/^runway-config-[a-z0-9]{10}$/);
    const { config } = mountedConfig(overlay, worker);
    expect(Object.keys(config.services).sort()).toEqual(['checkout', 'payments']);
  });

  it('has an Argo CD Application that syncs the example overlay into runway, pruning and self-healing', () => {
    const app = application as unknown as IApplication;
    expect(app.metadata.namespace).toBe(ARGOCD_NAMESPACE);
    const source = app.spec.source!;
    expect(source.path).toBe('deploy/kubernetes/overlays/example');
    expect(existsSync(join(root, source.path!, 'kustomization.yaml'))).toBe(true);
    expect(source.repoURL).toMatch(/^https:\/\//);
    expect(app.spec.destination.namespace).toBe(
      find<IServiceAccount>(overlay, 'ServiceAccount', 'runway-worker').metadata?.namespace,
    );
    expect(app.spec.syncPolicy?.automated).toMatchObject({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy?.syncOptions).toContain('CreateNamespace=true');
  });
});
