// `runway check` for canary environments: the Rollout named in runway.yaml is found in its Argo CD application,
// and a typo (or a Rollout another app manages) is a failure naming it. Also: the config keys themselves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReleasePlan } from '../../config/plan.js';
import { parseConfig } from '../../config/load.js';
import { FakeArgoRollouts } from '../../fakes/argo-rollouts.js';
import { FakeArgoCd } from '../../fakes/argocd.js';
import { checkRollouts } from '../../platform/check/rollouts.js';

let argocd: FakeArgoCd;
let rollouts: FakeArgoRollouts;

beforeAll(async () => {
  argocd = new FakeArgoCd({ token: 'check-token' });
  await argocd.listen();
  rollouts = new FakeArgoRollouts();
  argocd.attachRollouts(rollouts);
  argocd.addApp('payments-production', { image: 'r.example.com/payments:v1' });
  rollouts.add({
    application: 'payments-production',
    name: 'payments',
    namespace: 'payments',
    replicas: 9,
    image: 'r.example.com/payments:v1',
    canary: { steps: [{ setWeight: 11 }, { pause: {} }, { setWeight: 100 }] },
  });
});
afterAll(async () => {
  rollouts?.close();
  await argocd?.close();
});

const config = (rollout: string, canary = '{ approveSteps: true, verifyEachStep: false }') =>
  parseConfig(
    `
argocd: { driver: api, url: ${argocd.url}, token: check-token }
services:
  payments:
    gitlab: { project: acme/payments }
    image: { repository: r.example.com/payments }
    infra: { driver: git, repository: https://git.example.com/infra.git }
    environments:
      - name: production
        manifest: { file: production.yaml, kustomize: { image: payments } }
        argocd: { application: payments-production }
        approval: { channel: '#releases', approvers: [U0ALICE] }
        rollout: ${rollout}
        canary: ${canary}
`,
    {},
  );

describe('canary config and runway check', () => {
  it('carries rollout and canary into the plan, with the approvers as promoters', () => {
    const plan = buildReleasePlan(config('{ name: payments, namespace: payments }'), 'payments', {
      sha: 'a'.repeat(40),
      ref: 'main',
    });
    expect(plan.environments[0]!.rollout).toEqual({
      name: 'payments',
      namespace: 'payments',
      approveSteps: true,
      verifyEachStep: false,
      promoters: ['U0ALICE'],
    });
  });

  it('refuses canary without rollout', () => {
    expect(() =>
      parseConfig(
        `
services:
  payments:
    gitlab: { project: acme/payments }
    image: { repository: r.example.com/payments }
    infra: { driver: git, repository: https://git.example.com/infra.git }
    environments:
      - name: production
        manifest: { file: production.yaml, kustomize: { image: payments } }
        argocd: { application: payments-production }
        canary: { approveSteps: false }
`,
        {},
      ),
    ).toThrow(/canary needs rollout/);
  });

  it('finds the Rollout in its application', async () => {
    const results = await checkRollouts(config('{ name: payments, namespace: payments }'));
    expect(results).toEqual([
      {
        area: 'argocd',
        check: 'payments/production: Rollout payments/payments in application payments-production',
        status: 'ok',
        detail: 'canary with 3 steps, Healthy',
      },
    ]);
  });

  it('fails on a Rollout the application does not manage, naming it', async () => {
    const [result] = await checkRollouts(config('{ name: paymnets, namespace: payments }'));
    expect(result).toMatchObject({ status: 'fail' });
    expect(result!.detail).toContain('Rollout payments/paymnets of Argo CD application payments-production not found');
    expect(result!.fix).toContain('kubectl get rollouts -n payments');
  });
});
