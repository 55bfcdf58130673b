// The fake Argo Rollouts controller behind the fake Argo CD, through Runway's Rollout clients (REST and
// Kubernetes) and raw requests: the canary reconcile (steps, pauses, resume, abort, promote-full, back to
// stable), health as Argo CD's health.lua says, and Argo CD's real answers for an unknown action, a Rollout
// the app does not manage, an app with no Rollout, and an action RBAC refuses.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createRolloutApiClient,
  createRolloutKubernetesClient,
  RolloutNotFoundError,
  type RolloutPort,
} from '../../integrations/argocd-rollout.js';
import { PermanentArgoCdError } from '../../integrations/argocd-status.js';
import { describeStep, parseRollout, type RolloutRef } from '../../domain/canary.js';
import { FakeArgoRollouts, podTemplateHash } from '../../fakes/argo-rollouts.js';
import { FakeArgoCd } from '../../fakes/argocd.js';

let argocd: FakeArgoCd;
let rollouts: FakeArgoRollouts;
let api: RolloutPort;
const ref: RolloutRef = { application: 'pay-production', name: 'pay', namespace: 'pay' };
const OLD = 'registry.example.com/pay:v1';
const NEW = 'registry.example.com/pay:v2';

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const state = async (port: RolloutPort = api) => parseRollout(await port.get(ref));

beforeEach(async () => {
  argocd = new FakeArgoCd();
  await argocd.listen();
  rollouts = new FakeArgoRollouts({ podReadyMs: 5, secondMs: 20 });
  argocd.attachRollouts(rollouts);
  argocd.addApp('pay-production', { image: OLD });
  argocd.addApp('web-production', { image: 'registry.example.com/web:v1' });
  rollouts.add({
    application: 'pay-production',
    name: 'pay',
    namespace: 'pay',
    replicas: 9,
    image: OLD,
    canary: {
      steps: [{ setWeight: 11 }, { pause: {} }, { setWeight: 33 }, { pause: { duration: '2s' } }, { setWeight: 100 }],
    },
  });
  api = createRolloutApiClient({ url: argocd.url, token: argocd.token });
});

afterEach(async () => {
  rollouts.close();
  await argocd.close();
});

describe('fake Argo Rollouts controller', () => {
  it('steps a canary: pause, resume, timed pause, full promotion; the app is Suspended while paused', async () => {
    expect((await state()).fullyPromoted).toBe(true);
    rollouts.applied('pay-production', NEW);
    await until(() => rollouts.get('pay', 'pay')!.status.pauseConditions !== undefined);
    let s = await state();
    expect([s.currentStepIndex, s.paused, s.phase, s.canaryPods, s.weight]).toEqual([1, true, 'Paused', 1, 11]);
    expect(describeStep(s)).toBe('canary step 2 of 5: 11 % (1 of 9 pods)');
    expect(argocd.app('pay-production').status.health).toEqual({ status: 'Suspended', message: 'CanaryPauseStep' });
    expect(s.currentPodHash).toBe(podTemplateHash(NEW));
    expect(s.stableRS).toBe(podTemplateHash(OLD));

    await api.action(ref, 'resume');
    await until(() => rollouts.get('pay', 'pay')!.status.currentStepIndex === 3);
    s = await state();
    expect(describeStep(s)).toBe('canary step 4 of 5: 33 % (3 of 9 pods)');
    expect(s.step).toEqual({ kind: 'pause', durationSeconds: 2 });
    // A pause with a duration ends by itself.
    await until(() => rollouts.get('pay', 'pay')!.status.phase === 'Healthy');
    s = await state();
    expect([s.fullyPromoted, s.currentStepIndex, s.canaryPods]).toEqual([true, 5, 9]);
    expect(argocd.app('pay-production').status.health.status).toBe('Healthy');
  });

  it('abort sends it back to stable (Degraded, RolloutAborted) until the template is the stable one again', async () => {
    rollouts.applied('pay-production', NEW);
    await until(() => rollouts.get('pay', 'pay')!.status.controllerPause === true);
    await api.action(ref, 'abort');
    let s = await state();
    expect([s.aborted, s.phase, s.weight, s.canaryPods, s.paused]).toEqual([true, 'Degraded', 0, 0, false]);
    expect(s.degradedReason).toBe('RolloutAborted: Rollout aborted update to revision 2');
    expect(argocd.app('pay-production').status.health.status).toBe('Degraded');
    // The git revert: the template is the stable one again, every step is skipped, abort cleared.
    rollouts.applied('pay-production', OLD);
    await until(() => rollouts.get('pay', 'pay')!.status.phase === 'Healthy');
    s = await state();
    expect([s.aborted, s.fullyPromoted, s.currentStepIndex]).toEqual([false, true, 5]);
  });

  it('promote-full skips the remaining steps', async () => {
    rollouts.applied('pay-production', NEW);
    await until(() => rollouts.get('pay', 'pay')!.status.controllerPause === true);
    await api.action(ref, 'promote-full');
    await until(() => rollouts.get('pay', 'pay')!.status.phase === 'Healthy');
    expect((await state()).stableRS).toBe(podTemplateHash(NEW));
  });

  it('the Kubernetes driver reads the Rollout and patches its status subresource like kubectl-argo-rollouts', async () => {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: argocd.url, skipTLSVerify: true }],
      users: [{ name: 'runway', token: argocd.token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'runway' }],
      currentContext: 'fake',
    });
    const kube = createRolloutKubernetesClient({ kubeConfig: kc });
    rollouts.applied('pay-production', NEW);
    await until(() => rollouts.get('pay', 'pay')!.status.controllerPause === true);
    expect((await state(kube)).currentStepIndex).toBe(1);
    await kube.action(ref, 'resume');
    expect(rollouts.log.at(-1)).toBe('pay/pay status patch {"pauseConditions":null}');
    await until(() => rollouts.get('pay', 'pay')!.status.currentStepIndex === 3);
    await expect(kube.get({ ...ref, name: 'nope' })).rejects.toThrow(/Rollout pay\/nope not found/);
  });
});

describe("fake Argo CD's answers for Rollouts", () => {
  const post = (app: string, query: string, body: string) =>
    fetch(`${argocd.url}/api/v1/applications/${app}/resource/actions?${query}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${argocd.token}`, 'Content-Type': 'application/json' },
      body,
    });
  const query = 'namespace=pay&resourceName=pay&version=v1alpha1&group=argoproj.io&kind=Rollout';

  it('an unknown action: 500 "built-in script does not exist" (GetResourceAction)', async () => {
    const res = await post('pay-production', query, '"explode"');
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({
      code: 2,
      message: 'error getting Lua resource action: built-in script does not exist',
    });
  });

  it('a Rollout the app does not manage, or an app without Rollouts: 400 "not found as part of application"', async () => {
    const res = await post('web-production', query, '"resume"');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 3,
      message: 'Rollout argoproj.io pay not found as part of application web-production',
    });
    const tree = await fetch(`${argocd.url}/api/v1/applications/web-production/resource-tree`, {
      headers: { Authorization: `Bearer ${argocd.token}` },
    });
    expect(await tree.json()).toEqual({ nodes: [] });
    const err = await api.get({ ...ref, name: 'payments' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RolloutNotFoundError);
    expect((err as Error).message).toContain('Rollout pay/payments of Argo CD application pay-production not found');
  });

  it('a missing application: 403 permission denied (existence hidden)', async () => {
    const res = await post('ghost', query, '"resume"');
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([403, 'permission denied']);
  });

  it('RBAC refusing the action: 403, and Runway names the permission', async () => {
    argocd.denied.add('applications/action/argoproj.io/Rollout/resume/default/pay-production');
    const err = await api.action({ ...ref, project: 'default' }, 'resume').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentArgoCdError);
    expect((err as Error).message).toContain('HTTP 403 permission denied');
    expect((err as Error).message).toContain(
      '"applications, action/argoproj.io/Rollout/resume, default/pay-production"',
    );
    expect((err as Error).message).not.toContain(argocd.token);
    // Other actions are still allowed.
    await expect(api.action(ref, 'abort')).resolves.toBeUndefined();
  });

  it('RunResourceActionV2 takes every field in the body; on a server before 3.2 Runway falls back to the V1 form', async () => {
    const v2 = await fetch(`${argocd.url}/api/v1/applications/pay-production/resource/actions/v2`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${argocd.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'pay-production',
        namespace: 'pay',
        resourceName: 'pay',
        version: 'v1alpha1',
        group: 'argoproj.io',
        kind: 'Rollout',
        action: 'explode',
      }),
    });
    expect([v2.status, ((await v2.json()) as { message: string }).message]).toEqual([
      500,
      'error getting Lua resource action: built-in script does not exist',
    ]);

    // Runway uses V2 on a current server...
    argocd.http.requests.length = 0;
    await api.action(ref, 'abort');
    expect(argocd.http.requests.map((r) => r.path)).toEqual([
      '/api/v1/applications/pay-production/resource/actions/v2',
    ]);

    // ...and on an older one (no V2 route: grpc-gateway's 404 "Not Found") learns to send V1, once.
    const old = new FakeArgoCd({ resourceActionsV2: false });
    await old.listen();
    try {
      old.attachRollouts(rollouts);
      old.addApp('pay-production', { image: OLD });
      const client = createRolloutApiClient({ url: old.url, token: old.token });
      await client.action(ref, 'abort');
      await client.action(ref, 'abort');
      expect(old.http.requests.map((r) => r.path)).toEqual([
        '/api/v1/applications/pay-production/resource/actions/v2',
        '/api/v1/applications/pay-production/resource/actions',
        '/api/v1/applications/pay-production/resource/actions',
      ]);
    } finally {
      await old.close();
    }
  });

  it('the resource tree lists the Rollout with its health', async () => {
    const res = await fetch(`${argocd.url}/api/v1/applications/pay-production/resource-tree`, {
      headers: { Authorization: `Bearer ${argocd.token}` },
    });
    const body = (await res.json()) as { nodes: Record<string, unknown>[] };
    expect(body.nodes).toMatchObject([
      {
        group: 'argoproj.io',
        version: 'v1alpha1',
        kind: 'Rollout',
        namespace: 'pay',
        name: 'pay',
        health: { status: 'Healthy' },
      },
    ]);
  });
});
