// deploy/helm/runway: rendered with the real `helm` and checked with the real `kubeconform` (both pinned and built
// once per machine by scripts/ensure-go-tool.sh) against the strict Kubernetes 1.36 and prometheus-operator
// schemas vendored in deploy/schemas/; plus what schemas cannot check: the runway.yaml the chart writes is one
// Runway accepts, every ${VAR} in it reaches both pods, the probes, commands and selectors line up.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { parseConfig } from '../../config/load.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const chart = join(root, 'deploy/helm/runway');
const SCHEMA_LOCATION = join(root, 'deploy/schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json');
// The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) is what helm renders for.
const KUBE_VERSION = '1.27.0';

/** The pinned tool, built if needed; or why it cannot be had (then the tests skip, saying so). */
function tool(name: 'helm' | 'kubeconform'): { path?: string; problem?: string } {
  try {
    const path = execFileSync('bash', [join(root, 'scripts/ensure-go-tool.sh'), name], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 1_200_000,
    }).trim();
    return { path };
  } catch (err) {
    const stderr = (err as { stderr?: string | Buffer }).stderr?.toString().trim() ?? String(err);
    return { problem: `${name} could not be found or built (needs Go and the Go module proxy): ${stderr}` };
  }
}
const helm = tool('helm');
const kubeconform = tool('kubeconform');
const missing = [helm.problem, kubeconform.problem].filter(Boolean).join('; ');

const dir = mkdtempSync(join(tmpdir(), 'runway-helm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}
interface Container {
  name: string;
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; configMap?: { name: string }; secret?: { secretName: string }; emptyDir?: object }[];
  serviceAccountName?: string;
}

function render(values: object = {}): { text: string; objects: K8sObject[] } {
  const file = join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  const text = execFileSync(
    helm.path!,
    ['template', 'runway', chart, '--namespace', 'delivery', '--kube-version', KUBE_VERSION, '--values', file],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const objects = parseAllDocuments(text)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  return { text, objects };
}

/** kubeconform -strict over a stream; the parsed JSON report. */
function validate(text: string): { resources: { kind: string; name: string; status: string; msg: string }[] } {
  let out: string;
  try {
    out = execFileSync(
      kubeconform.path!,
      [
        '-strict',
        '-verbose',
        '-output',
        'json',
        '-kubernetes-version',
        '1.36.0',
        '-schema-location',
        SCHEMA_LOCATION,
        '-',
      ],
      { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
    );
  } catch (err) {
    out = (err as { stdout?: string }).stdout ?? '';
  }
  return JSON.parse(out) as { resources: { kind: string; name: string; status: string; msg: string }[] };
}

const find = (objects: K8sObject[], kind: string, name: string) => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  expect(found, `${kind}/${name}`).toHaveLength(1);
  return found[0]!;
};
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;

// A realistic install: the kustomize base's runway.yaml (less `temporal`, which has its own values), a Secret
// the chart makes, Temporal Cloud with mTLS and an API key, and the ServiceMonitor.
const baseConfig = parse(readFileSync(join(root, 'deploy/kubernetes/base/runway.yaml'), 'utf8')) as Record<
  string,
  unknown
>;
const { temporal: _ignored, ...configWithoutTemporal } = baseConfig;
const secretValues = {
  GITLAB_TOKEN: 'glpat-x',
  GITLAB_WEBHOOK_SECRET: 'whsec',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_SIGNING_SECRET: 'sign',
  REGISTRY_TOKEN: 'reg',
  RUNWAY_API_TOKEN_CI: 'ci',
  RUNWAY_API_TOKEN_RELEASE_MANAGER: 'rm',
};
const fullValues = {
  image: { repository: 'registry.example.com/platform/runway', tag: '1.2.3' },
  temporal: {
    address: 'payments.a1b2c.tmprl.cloud:7233',
    namespace: 'payments.a1b2c',
    taskQueue: 'runway',
    uiUrl: 'https://cloud.temporal.io',
    apiKey: { existingSecret: 'temporal-cloud', key: 'api-key' },
    tls: { enabled: true, serverName: 'payments.a1b2c.tmprl.cloud', existingSecret: 'temporal-mtls' },
  },
  config: configWithoutTemporal,
  secrets: { create: true, values: secretValues },
  api: { publicUrl: 'https://runway.example.com' },
  ingress: {
    enabled: true,
    className: 'nginx',
    host: 'runway.example.com',
    tlsSecret: 'runway-tls',
    annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
  },
  worker: { maxCachedWorkflows: 500 },
  serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
};

describe.skipIf(missing !== '')(`deploy/helm/runway${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('passes helm lint --strict', () => {
    const out = execFileSync(helm.path!, ['lint', '--strict', chart, '--kube-version', KUBE_VERSION], {
      encoding: 'utf8',
    });
    expect(out).toContain('0 chart(s) failed');
  });

  it.each([
    ['the defaults', {}],
    ['a full install (Secret, Temporal mTLS + API key, Ingress, ServiceMonitor)', fullValues],
  ])('renders %s into objects valid against the strict Kubernetes schemas', (_, values) => {
    const { text, objects } = render(values);
    const report = validate(text);
    expect(report.resources.filter((r) => r.status !== 'statusValid')).toEqual([]);
    expect(report.resources).toHaveLength(objects.length);
  });

  it('deploy/monitoring/prometheus-rules.yaml is a valid PrometheusRule too', () => {
    const report = validate(readFileSync(join(root, 'deploy/monitoring/prometheus-rules.yaml'), 'utf8'));
    expect(report.resources.map((r) => [r.kind, r.status])).toEqual([['PrometheusRule', 'statusValid']]);
  });

  it('kubeconform catches what a cluster would refuse (the check can fail)', () => {
    const { objects } = render(fullValues);
    const worker = structuredClone(find(objects, 'Deployment', 'runway-worker'));
    (podSpec(worker).containers[0] as unknown as Record<string, unknown>).livenessprobe = { httpGet: { path: '/' } };
    const monitor = structuredClone(find(objects, 'ServiceMonitor', 'runway-worker'));
    (monitor.spec as { endpoints: Record<string, unknown>[] }).endpoints[0]!.interval = 30;
    const report = validate([worker, monitor].map((o) => stringify(o)).join('---\n'));
    const byKind = new Map(report.resources.map((r) => [r.kind, r]));
    expect([...byKind.keys()].sort()).toEqual(['Deployment', 'ServiceMonitor']);
    expect(byKind.get('Deployment')).toMatchObject({
      status: 'statusInvalid',
      msg: expect.stringContaining('livenessprobe'),
    });
    expect(byKind.get('ServiceMonitor')).toMatchObject({
      status: 'statusInvalid',
      msg: expect.stringContaining('interval'),
    });
  });

  it('refuses values its schema does not allow, naming the value', () => {
    const refusal = (values: object) => {
      try {
        render(values);
        return '';
      } catch (err) {
        return (err as { stderr?: string }).stderr ?? '';
      }
    };
    expect(refusal({ api: { replicas: 'two' } })).toMatch(/\/api\/replicas.*want integer/);
    expect(refusal({ temporal: { address: 'temporal' } })).toMatch(/\/temporal\/address/);
    expect(refusal({ config: { temporal: { address: 'x:1' }, server: { host: '0.0.0.0', port: 8080 } } })).toMatch(
      /\/config/,
    );
    expect(refusal({ worker: { replica: 2 } })).toMatch(/replica/);
    expect(refusal({ ingress: { enabled: true, host: 'https://runway.example.com' } })).toMatch(/\/ingress\/host/);
  });

  it('writes a runway.yaml Runway accepts, with Temporal from the values and every ${VAR} in both pods', () => {
    const { objects } = render(fullValues);
    const configMap = find(objects, 'ConfigMap', 'runway-config') as K8sObject & { data: Record<string, string> };
    const secret = find(objects, 'Secret', 'runway-env') as K8sObject & { stringData: Record<string, string> };
    expect(secret.stringData).toEqual(secretValues);
    const text = configMap.data['runway.yaml']!;
    const variables = [...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
    expect(variables).toContain('TEMPORAL_API_KEY');
    expect(text).not.toContain('glpat-x');

    const config = parseConfig(text, { ...secretValues, TEMPORAL_API_KEY: 'key' });
    expect(config.temporal).toEqual({
      address: 'payments.a1b2c.tmprl.cloud:7233',
      namespace: 'payments.a1b2c',
      taskQueue: 'runway',
      uiUrl: 'https://cloud.temporal.io',
      apiKey: 'key',
      tls: {
        serverName: 'payments.a1b2c.tmprl.cloud',
        caFile: '/etc/runway/temporal-tls/ca.crt',
        certFile: '/etc/runway/temporal-tls/tls.crt',
        keyFile: '/etc/runway/temporal-tls/tls.key',
      },
    });
    expect(Object.keys(config.services)).toEqual(['payments']);

    for (const name of ['runway-api', 'runway-worker']) {
      const pod = podSpec(find(objects, 'Deployment', name));
      const c = pod.containers[0]!;
      const env = new Map((c.env ?? []).map((e) => [e.name, e]));
      const fromSecret = new Set((c.envFrom ?? []).map((e) => e.secretRef?.name));
      for (const variable of variables) {
        const direct = env.get(variable);
        const viaSecret = fromSecret.has(secret.metadata.name) && variable in secret.stringData;
        expect(direct !== undefined || viaSecret, `${name} gets ${variable}`).toBe(true);
      }
      expect(env.get('TEMPORAL_API_KEY')?.valueFrom?.secretKeyRef).toEqual({ name: 'temporal-cloud', key: 'api-key' });
      expect(env.get('RUNWAY_CONFIG')?.value).toBe('/etc/runway/runway.yaml');
      // runway.yaml and the Temporal certificates are where the config says.
      const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m]));
      const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]));
      expect(volumes.get(mounts.get('/etc/runway/runway.yaml')!.name)?.configMap?.name).toBe(configMap.metadata.name);
      expect(volumes.get(mounts.get('/etc/runway/temporal-tls')!.name)?.secret?.secretName).toBe('temporal-mtls');
    }
  });

  it('runs the compiled entry points with probes on /healthz and /readyz, resources and its own config', () => {
    const { objects } = render(fullValues);
    const cases = [
      ['runway-api', 'dist/api/main.js', 'http', 8080, '/readyz'],
      ['runway-worker', 'dist/worker/main.js', 'metrics', 9464, '/healthz'],
    ] as const;
    for (const [name, entry, portName, port, readiness] of cases) {
      const deployment = find(objects, 'Deployment', name);
      const c = podSpec(deployment).containers[0]!;
      expect(c.command).toEqual(['node', entry]);
      expect(c.ports).toEqual([{ name: portName, containerPort: port, protocol: 'TCP' }]);
      expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: portName });
      expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: portName });
      expect(c.readinessProbe?.httpGet).toEqual({ path: readiness, port: portName });
      expect(c.resources?.requests).toBeDefined();
      expect(c.resources?.limits).toBeDefined();
      expect(c.env?.find((e) => e.name === 'RUNWAY_WORKFLOW_BUNDLE')?.value).toBe(
        name === 'runway-worker' ? '/app/dist/workflow-bundle.js' : undefined,
      );
      // Selectors match the pod template, and the config's checksum rolls the pods when runway.yaml changes.
      const spec = deployment.spec as {
        selector: { matchLabels: Record<string, string> };
        template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } };
      };
      expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      expect(spec.template.metadata.annotations['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
    }
    const api = find(objects, 'Service', 'runway-api') as K8sObject & {
      spec: { ports: { name: string; targetPort: string }[] };
    };
    expect(api.spec.ports[0]!.targetPort).toBe('http');
    // The Ingress sends the public host to that Service port, under TLS.
    const ingress = find(objects, 'Ingress', 'runway-api') as K8sObject & {
      spec: {
        tls: { hosts: string[]; secretName: string }[];
        rules: {
          host: string;
          http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] };
        }[];
      };
    };
    expect(ingress.spec.rules[0]!.host).toBe(new URL(fullValues.api.publicUrl).host);
    expect(ingress.spec.rules[0]!.http.paths[0]!.backend.service).toEqual({
      name: api.metadata.name,
      port: { name: api.spec.ports[0]!.name },
    });
    expect(ingress.spec.tls).toEqual([{ hosts: ['runway.example.com'], secretName: 'runway-tls' }]);
    const worker = find(objects, 'Deployment', 'runway-worker');
    const cacheDir = (configWithoutTemporal.git as { cacheDir: string }).cacheDir;
    expect(podSpec(worker).containers[0]!.volumeMounts!.map((m) => m.mountPath)).toContain(cacheDir);
    // The ServiceMonitor selects the metrics Service and names its port.
    const monitor = find(objects, 'ServiceMonitor', 'runway-worker') as K8sObject & {
      spec: { selector: { matchLabels: Record<string, string> }; endpoints: { port: string }[] };
    };
    const metrics = find(objects, 'Service', 'runway-worker-metrics') as K8sObject & {
      spec: { ports: { name: string }[] };
    };
    expect(metrics.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(metrics.spec.ports.map((p) => p.name)).toContain(monitor.spec.endpoints[0]!.port);
    expect(monitor.metadata.labels?.release).toBe('kube-prometheus-stack');
  });

  it('changing runway.yaml changes the checksum that rolls the pods', () => {
    const checksum = (values: object) =>
      (
        find(render(values).objects, 'Deployment', 'runway-worker').spec as {
          template: { metadata: { annotations: Record<string, string> } };
        }
      ).template.metadata.annotations['checksum/config'];
    expect(checksum(fullValues)).not.toBe(
      checksum({ ...fullValues, temporal: { ...fullValues.temporal, taskQueue: 'q2' } }),
    );
  });
});
