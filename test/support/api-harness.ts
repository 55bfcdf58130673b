// End-to-end harness: the real API over HTTP, a real worker on the shared dev server, and an
// in-memory world behind the activities. Services come from a real runway.yaml text.
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../../config/load.js';
import type { RunwayConfig } from '../../config/schema.js';
import { createApp, type AppPlugins } from '../../api/app.js';
import type { ApiContext } from '../../api/context.js';
import { ReleaseService } from '../../api/release-service.js';
import { listen, type RunningServer } from '../../api/server.js';
import { createLogger } from '../../platform/logger.js';

import { seedMemoryInfra } from '../../fakes/memory-world.js';
import { createHarness, type Harness } from './harness.js';

export const WEBHOOK_SECRET = 'e2e-webhook-secret';
export const TOKENS = { reader: 'read-token-1', deployer: 'deploy-token-1', approver: 'approve-token-1' };

export function e2eConfigYaml(service: string, taskQueue: string): string {
  return `
temporal: { taskQueue: ${taskQueue} }
gitlab: { url: 'https://gitlab.example.com', token: unused, webhookSecret: ${WEBHOOK_SECRET} }
timing: { pollInterval: 25ms, heartbeatTimeout: 2s, retryInitialInterval: 50ms }
links: { logs: 'https://grafana.example.com/explore?s={service}&e={environment}&from={from}&to={to}' }
api:
  tokens:
    - { name: ci-reader, token: ${TOKENS.reader}, roles: [read] }
    - { name: deploy-bot, token: ${TOKENS.deployer}, roles: [read, deploy] }
    - { name: U0ALICE, token: ${TOKENS.approver}, roles: [read, approve] }
services:
  ${service}:
    gitlab: { project: acme/${service}, webUrl: 'https://gitlab.example.com/acme/${service}' }
    triggerBranches: [main]
    image: { repository: registry.example.com/acme/${service} }
    infra: { driver: git, repository: acme/infra }
    pipeline: { timeout: 30s, pollInterval: 200ms }
    environments:
      - name: staging
        manifest: { file: apps/${service}/staging/kustomization.yaml, kustomize: { image: registry.example.com/acme/${service} } }
        argocd: { application: ${service}-staging }
        healthTimeout: 10s
        degradedGrace: 100ms
      - name: production
        manifest: { file: apps/${service}/production/values.yaml, helm: { tagPath: image.tag } }
        argocd: { application: ${service}-production }
        healthTimeout: 10s
        degradedGrace: 100ms
        approval: { channel: '#prod', approvers: [U0ALICE, bob], timeout: 1m }
`;
}

export interface ApiHarness {
  h: Harness;
  config: RunwayConfig;
  service: string;
  server: RunningServer;
  ctx: ApiContext;
  close(): Promise<void>;
}

export async function createApiHarness(
  plugins: (ctx: ApiContext) => Promise<AppPlugins> | AppPlugins = () => ({}),
  options: { configYaml?: (service: string, taskQueue: string) => string } = {},
): Promise<ApiHarness> {
  const h = await createHarness();
  await h.startWorker();
  const service = `svc-${randomUUID().slice(0, 8)}`;
  const config = parseConfig((options.configYaml ?? e2eConfigYaml)(service, h.taskQueue), {});
  seedMemoryInfra(h.world, config);
  const ctx: ApiContext = {
    config,
    client: h.client,
    releases: new ReleaseService(h.client, config),
    logger: createLogger('api-test', 'silent'),
    publicUrl: 'http://runway.test',
  };
  const app = createApp(ctx, await plugins(ctx));
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    h,
    config,
    service,
    server,
    ctx,
    close: async () => {
      await server.close();
      await h.close();
    },
  };
}

/** A Merge Request Hook body in GitLab's shape (see test/fixtures/gitlab-merge-request-merged.json). */
export function mergeHook(
  service: string,
  sha: string,
  overrides: { action?: string; target?: string; iid?: number } = {},
) {
  return {
    object_kind: 'merge_request',
    event_type: 'merge_request',
    user: { id: 1, name: 'Dev Eloper', username: 'dev' },
    project: {
      id: 4242,
      name: service,
      path_with_namespace: `acme/${service}`,
      web_url: `https://gitlab.example.com/acme/${service}`,
    },
    object_attributes: {
      id: 99,
      iid: overrides.iid ?? 7,
      title: 'Make checkout faster',
      action: overrides.action ?? 'merge',
      state: 'merged',
      target_branch: overrides.target ?? 'main',
      source_branch: 'feature',
      merge_commit_sha: sha,
      url: `https://gitlab.example.com/acme/${service}/-/merge_requests/${overrides.iid ?? 7}`,
      last_commit: { id: sha },
    },
  };
}

/** POSTs a GitLab webhook to the harness's API with the right token (headers may override it). */
export async function postWebhook(
  a: ApiHarness,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${a.server.url}/webhooks/gitlab`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gitlab-event': 'Merge Request Hook',
      'x-gitlab-token': WEBHOOK_SECRET,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
