// RBAC over REST, with the same rules as Slack (api/permissions.ts): rollback needs the deploy role and, where the
// environment names deployers (else approvers), to be one of them; decisions need the approve role and to be an
// approver; every action records who asked in the timeline.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { waitFor } from '../support/harness.js';

const T = {
  dave: 'rbac-dave',
  bot: 'rbac-bot',
  alice: 'rbac-alice',
  carol: 'rbac-carol',
  ops: 'rbac-ops',
  reader: 'rbac-reader',
};

const configYaml = (service: string, taskQueue: string) => `
temporal: { taskQueue: ${taskQueue} }
gitlab: { url: 'https://gitlab.example.com', token: unused, webhookSecret: s }
timing: { pollInterval: 25ms, heartbeatTimeout: 2s, retryInitialInterval: 50ms }
api:
  tokens:
    - { name: deploy-bot, token: ${T.bot}, roles: [read, deploy] }
    - { name: U0ALICE, token: ${T.alice}, roles: [read, deploy, approve] }
    - { name: carol, token: ${T.carol}, roles: [read, approve] }
    - { name: ops, token: ${T.ops}, roles: [read, deploy] }
    - { name: reader, token: ${T.reader}, roles: [read] }
    - { name: dave, token: ${T.dave}, roles: [read, approve] }
services:
  ${service}:
    gitlab: { project: acme/${service} }
    image: { repository: registry.example.com/acme/${service} }
    infra: { driver: git, repository: acme/infra }
    pipeline: { timeout: 30s, pollInterval: 200ms }
    environments:
      - name: canary
        manifest: { file: apps/${service}/canary.yaml, kustomize: { image: registry.example.com/acme/${service} } }
        argocd: { application: ${service}-canary }
        healthTimeout: 10s
        degradedGrace: 100ms
      - name: staging
        manifest: { file: apps/${service}/staging.yaml, kustomize: { image: registry.example.com/acme/${service} } }
        argocd: { application: ${service}-staging }
        healthTimeout: 10s
        degradedGrace: 100ms
        deployers: [ops]
      - name: production
        manifest: { file: apps/${service}/production.yaml, helm: { tagPath: image.tag } }
        argocd: { application: ${service}-production }
        healthTimeout: 10s
        degradedGrace: 100ms
        approval: { channel: '#prod', approvers: [U0ALICE, carol], timeout: 1m }
`;

let a: ApiHarness;
beforeAll(async () => {
  a = await createApiHarness(() => ({}), { configYaml });
});
afterAll(async () => a?.close());

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${a.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
const rollback = (env: string, token: string) =>
  call('POST', `/api/services/${a.service}/environments/${env}/rollback`, token);
const releasePath = (id: string) => `/api/releases/${encodeURIComponent(id)}`;

async function atApproval(): Promise<string> {
  const sha = randomBytes(20).toString('hex');
  a.h.world.registry.publish({ repository: `registry.example.com/acme/${a.service}`, tag: sha });
  const started = await call('POST', '/api/releases', T.bot, { service: a.service, sha });
  expect(started.status).toBe(202);
  const id = started.body.releaseId as string;
  await waitFor(async () =>
    (await call('GET', releasePath(id), T.reader)).body.status === 'awaiting_approval' ? true : undefined,
  );
  return id;
}

describe('REST RBAC', () => {
  it('rollback: deployers, else approvers, else anyone with the deploy role', async () => {
    // Allowed callers get past RBAC to the service's answer (409: nothing to roll back to yet).
    const allowed = { status: 409, body: { error: { code: 'conflict' } } };
    const forbidden = { status: 403, body: { error: { code: 'forbidden' } } };
    expect(await rollback('production', T.bot)).toMatchObject(forbidden);
    expect((await rollback('production', T.bot)).body.error.message).toBe(
      `deploy-bot is not a deployer of ${a.service} in production`,
    );
    expect(await rollback('production', T.carol)).toMatchObject({ status: 403 }); // an approver without the deploy role
    expect(await rollback('production', T.alice)).toMatchObject(allowed);
    expect(await rollback('staging', T.alice)).toMatchObject(forbidden); // deployers replace the approvers
    expect(await rollback('staging', T.bot)).toMatchObject(forbidden);
    expect(await rollback('staging', T.ops)).toMatchObject(allowed);
    expect(await rollback('canary', T.bot)).toMatchObject(allowed);
    expect(await rollback('canary', T.reader)).toMatchObject({ status: 403 });
  });

  it('decisions: the approve role and the approver list; each action records who asked', async () => {
    const approved = await atApproval();
    const byBot = await call('POST', `${releasePath(approved)}/approve`, T.bot, { environment: 'production' });
    expect(byBot.status).toBe(403); // no approve role
    const byDave = await call('POST', `${releasePath(approved)}/approve`, T.dave, { environment: 'production' });
    expect(byDave).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(byDave.body.error.message).toBe(`dave is not an approver of ${a.service} in production`);
    expect(
      await call('POST', `${releasePath(approved)}/approve`, T.carol, { environment: 'production' }),
    ).toMatchObject({ status: 200, body: { decision: 'approved', by: 'carol' } });
    await waitFor(async () =>
      (await call('GET', releasePath(approved), T.reader)).body.status === 'succeeded' ? true : undefined,
    );
    expect((await call('GET', releasePath(approved), T.reader)).body.actions).toEqual([
      { action: 'deploy', by: 'deploy-bot', at: expect.any(String) },
      { action: 'approve', by: 'carol', environment: 'production', at: expect.any(String) },
    ]);

    const rejected = await atApproval();
    await call('POST', `${releasePath(rejected)}/reject`, T.alice, { environment: 'production', comment: 'not today' });
    await waitFor(async () =>
      (await call('GET', releasePath(rejected), T.reader)).body.status === 'rejected' ? true : undefined,
    );
    expect((await call('GET', releasePath(rejected), T.reader)).body.actions.at(-1)).toMatchObject({
      action: 'reject',
      by: 'U0ALICE',
    });

    const cancelled = await atApproval();
    expect(await call('POST', `${releasePath(cancelled)}/cancel`, T.carol)).toMatchObject({ status: 403 });
    expect(await call('POST', `${releasePath(cancelled)}/cancel`, T.ops)).toMatchObject({ status: 202 });
    await waitFor(async () =>
      (await call('GET', releasePath(cancelled), T.reader)).body.status === 'cancelled' ? true : undefined,
    );
    expect((await call('GET', releasePath(cancelled), T.reader)).body.actions.at(-1)).toMatchObject({
      action: 'cancel',
      by: 'ops',
    });
  }, 60_000);
});
