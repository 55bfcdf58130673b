// What the bench's processes share: the runway.yaml text (parsed by the API and by the worker child),
// the webhook body, and the IPC messages between the driver and the worker child.

export const WEBHOOK_SECRET = 'bench-webhook-secret';
export const APPROVER = 'bench-approver';

export const releaseServices = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `bench-${String(i).padStart(3, '0')}`);

/** Two environments per service, production behind an approval, as in a typical runway.yaml. */
export function benchConfigYaml(services: string[], taskQueue: string): string {
  const entries = services.map(
    (s) => `
  ${s}:
    gitlab: { project: acme/${s}, webUrl: 'https://gitlab.example.com/acme/${s}' }
    triggerBranches: [main]
    image: { repository: registry.example.com/acme/${s} }
    infra: { driver: git, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: apps/${s}/staging/kustomization.yaml, kustomize: { image: registry.example.com/acme/${s} } }
        argocd: { application: ${s}-staging }
      - name: production
        manifest: { file: apps/${s}/production/values.yaml, helm: { tagPath: image.tag } }
        argocd: { application: ${s}-production }
        approval: { channel: '#prod', approvers: [${APPROVER}], timeout: 1h }`,
  );
  return `
temporal: { taskQueue: ${taskQueue} }
gitlab: { url: 'https://gitlab.example.com', token: unused, webhookSecret: ${WEBHOOK_SECRET} }
services:${entries.join('')}
`;
}

/** A distinct 40-hex commit sha per (run, index). */
export function commitSha(run: number, index: number): string {
  return (run.toString(16).padStart(8, '0') + index.toString(16).padStart(32, '0')).slice(0, 40);
}

/** The fields of GitLab's Merge Request Hook that Runway reads, for a merged MR. */
export function mergeHookBody(service: string, sha: string): string {
  return JSON.stringify({
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Bench', username: 'bench' },
    project: {
      id: 4242,
      path_with_namespace: `acme/${service}`,
      web_url: `https://gitlab.example.com/acme/${service}`,
    },
    object_attributes: {
      iid: 7,
      title: 'Benchmark release',
      action: 'merge',
      state: 'merged',
      target_branch: 'main',
      merge_commit_sha: sha,
      url: `https://gitlab.example.com/acme/${service}/-/merge_requests/7`,
    },
  });
}

export const WEBHOOK_HEADERS = {
  'content-type': 'application/json',
  'x-gitlab-event': 'Merge Request Hook',
  'x-gitlab-token': WEBHOOK_SECRET,
};

// ---- IPC between the driver and the worker child

export interface WorkerStart {
  type: 'start';
  address: string;
  configYaml: string;
  bundlePath: string;
  /** Worker options to try instead of Runway's defaults (experiments only). */
  overrides?: { workflowThreadPoolSize?: number; maxCachedWorkflows?: number };
}
export type ToWorker = WorkerStart | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'memory'; rss: number; cached: number }
  | { type: 'approval'; releaseId: string; environment: string; at: number };
