// Deploy windows and freezes: the window is judged in an activity by an injected clock the test moves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployWindow, ReleasePlan } from '../../domain/types.js';
import { freezeRegistryId, freezeSignal, unfreezeSignal } from '../../workflows/freeze-messages.js';
import { statusQuery } from '../../workflows/messages.js';
import { createHarness, seedEnvironments, start, testPlan, waitFor, type Harness } from '../support/harness.js';

/** The clock the window activity reads; starts on a Monday evening in Paris (closed). */
const clock = { now: Date.parse('2026-11-30T20:00:00Z') };
const OFFICE_HOURS: DeployWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  from: '09:00',
  to: '17:00',
  timeZone: 'Europe/Paris',
};

let h: Harness;
beforeAll(async () => {
  h = await createHarness({ deps: { now: () => new Date(clock.now) } });
  await h.startWorker();
});
afterAll(async () => h?.close());

function windowedPlan(overrides: Partial<ReleasePlan> & { sha?: string } = {}, service?: string): ReleasePlan {
  const plan = testPlan({ ...overrides, ...(service ? { service } : {}) });
  const [staging] = plan.environments;
  return {
    ...plan,
    environments: [{ ...staging!, windows: [OFFICE_HOURS] }],
    timing: { ...plan.timing!, windowRecheckMs: 100 },
  };
}

function ready(plan: ReleasePlan) {
  seedEnvironments(h.world, plan);
  h.world.registry.publish(plan.image);
}

describe('release: deploy windows', () => {
  it('a release merged after hours waits queued, says when it opens, and goes when it opens', async () => {
    clock.now = Date.parse('2026-11-30T20:00:00Z');
    const plan = windowedPlan();
    ready(plan);
    const { handle } = await start(h, plan);
    const queued = await waitFor(async () => {
      const t = await handle.query(statusQuery);
      return t.status === 'queued' ? t : undefined;
    });
    const window = queued.stages.find((s) => s.kind === 'window')!;
    expect(window.details.opensAt).toBe('2026-12-01T08:00:00.000Z');
    expect(window.details.summary).toMatch(/opens at 2026-12-01T08:00:00.000Z/);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe('v1.0.0');
    // The status is set before the notification goes out (the next activity): wait for it, do not race it.
    const progress = await waitFor(() =>
      h.world.slack.notifications
        .filter((n) => n.timeline.releaseId === plan.releaseId && n.kind === 'progress')
        .find((n) => n.timeline.status === 'queued'),
    );
    expect(progress.timeline.stages.find((s) => s.kind === 'window')?.state).toBe('running');
    // Tuesday 09:00 Paris.
    clock.now = Date.parse('2026-12-01T08:00:00Z');
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.timeline.stages.map((s) => `${s.kind}:${s.state}`)).toEqual([
      'image:skipped',
      'window:succeeded',
      'deploy:succeeded',
    ]);
    expect(h.world.infra.imageAt(plan.environments[0]!.target)?.tag).toBe(plan.image.tag);
  });

  it('when the window opens only the newest queued release of a service goes; older ones end superseded', async () => {
    clock.now = Date.parse('2026-12-01T18:00:00Z'); // Tuesday evening
    const service = `svc-q${Date.now().toString(36)}`;
    const older = windowedPlan({}, service);
    const newer = windowedPlan({}, service);
    ready(older);
    h.world.registry.publish(newer.image);
    const first = await start(h, older);
    await waitFor(async () => (await first.handle.query(statusQuery)).status === 'queued' || undefined);
    const second = await start(h, newer);
    await waitFor(async () => (await second.handle.query(statusQuery)).status === 'queued' || undefined);
    // Visibility must see the newer release before the window opens.
    await waitFor(async () => {
      for await (const wf of h.client.workflow.list({
        query: `RunwayService = "${service}" AND RunwayStatus = "queued"`,
      }))
        if (wf.workflowId === newer.releaseId) return true;
      return undefined;
    });
    clock.now = Date.parse('2026-12-02T08:00:00Z');
    const [a, b] = await Promise.all([first.handle.result(), second.handle.result()]);
    expect(a.status).toBe('superseded');
    expect(a.timeline.stages.find((s) => s.kind === 'window')?.details.supersededBy).toBe(newer.releaseId);
    expect(b.status).toBe('succeeded');
    expect(h.world.infra.imageAt(newer.environments[0]!.target)?.tag).toBe(newer.image.tag);
    expect(h.world.infra.commits.some((c) => c.changeId.startsWith(older.releaseId))).toBe(false);
  });

  it('the newest commit goes when the window opens, not the release that arrived last', async () => {
    clock.now = Date.parse('2026-12-01T18:00:00Z'); // Tuesday evening
    const service = `svc-o${Date.now().toString(36)}`;
    const [oldSha, newSha] = [0, 1].map((i) => `${Date.now().toString(16)}${i}`.padEnd(40, 'c').slice(0, 40));
    // The history says oldSha → newSha (the first call is the parent of the second).
    h.world.gitlab.commit(`acme/${service}`, oldSha!);
    h.world.gitlab.commit(`acme/${service}`, newSha!);
    const newer = windowedPlan({ sha: newSha }, service);
    const late = windowedPlan({ sha: oldSha }, service); // a late redelivery of the older merge
    ready(newer);
    h.world.registry.publish(late.image);
    const first = await start(h, newer);
    await waitFor(async () => (await first.handle.query(statusQuery)).status === 'queued' || undefined);
    const second = await start(h, late);
    await waitFor(async () => (await second.handle.query(statusQuery)).status === 'queued' || undefined);
    await waitFor(async () => {
      for await (const wf of h.client.workflow.list({
        query: `RunwayService = "${service}" AND RunwayStatus = "queued"`,
      }))
        if (wf.workflowId === late.releaseId) return true;
      return undefined;
    });
    clock.now = Date.parse('2026-12-02T08:00:00Z');
    const [a, b] = await Promise.all([first.handle.result(), second.handle.result()]);
    expect(a.status).toBe('succeeded');
    expect(b.status).toBe('superseded');
    // Superseded by the window stage or by the environment lock, whichever notices first: by the newer commit.
    expect(JSON.stringify(b.timeline)).toContain(`superseded by ${newer.releaseId}`);
    expect(h.world.infra.imageAt(newer.environments[0]!.target)?.tag).toBe(newer.image.tag);
    expect(h.world.infra.commits.some((c) => c.changeId.startsWith(late.releaseId))).toBe(false);
  });

  it('a runtime freeze holds a release inside a window until unfrozen; a forced hotfix goes through, on record', async () => {
    clock.now = Date.parse('2026-12-02T10:00:00Z'); // Wednesday, open
    const env = `frz${Date.now().toString(36)}`;
    await h.client.workflow.signalWithStart('freezeRegistryWorkflow', {
      workflowId: freezeRegistryId(h.taskQueue),
      taskQueue: h.taskQueue,
      args: [{ freezes: [] }],
      signal: freezeSignal,
      signalArgs: [
        { environment: env, reason: 'incident INC-7', by: 'alice', at: new Date(clock.now - 1000).toISOString() },
      ],
    });
    const base = windowedPlan();
    const plan: ReleasePlan = { ...base, environments: [{ ...base.environments[0]!, name: env }] };
    ready(plan);
    const { handle } = await start(h, plan);
    const queued = await waitFor(async () => {
      const t = await handle.query(statusQuery);
      return t.status === 'queued' ? t : undefined;
    });
    expect(queued.stages.find((s) => s.kind === 'window')?.details.closedBecause).toBe(
      'frozen by alice: incident INC-7',
    );

    const hot = windowedPlan({ force: { by: 'bob', reason: 'hotfix for INC-7' } });
    const hotfix: ReleasePlan = { ...hot, environments: [{ ...hot.environments[0]!, name: env }] };
    ready(hotfix);
    const forced = await (await start(h, hotfix)).handle.result();
    expect(forced.status).toBe('succeeded');
    const window = forced.timeline.stages.find((s) => s.kind === 'window')!;
    expect(window.details).toMatchObject({ forcedBy: 'bob', forceReason: 'hotfix for INC-7' });
    const note = h.world.gitlab.notes.find((n) => n.projectId === hotfix.project.id);
    expect(note?.body).toContain('hotfix for INC-7');

    await h.client.workflow
      .getHandle(freezeRegistryId(h.taskQueue))
      .signal(unfreezeSignal, { environment: env, by: 'alice' });
    expect((await handle.result()).status).toBe('succeeded');
  });
});
