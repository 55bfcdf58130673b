// The watcher's pure decisions (domain/watch.ts) and what DORA makes of incidents (domain/dora.ts).
import { describe, expect, it } from 'vitest';
import {
  applyPoll,
  applySilence,
  emptyWatchState,
  incidentFingerprint,
  retireClosed,
  type AppObservation,
  type WatchState,
  type WatchTarget,
  type WatchedStatus,
} from '../../domain/watch.js';
import { computeDora, meanTimeToRecovery, type ReleaseRecord } from '../../domain/dora.js';
import { buildIncidentMessage, formatDuration } from '../../integrations/incident-blocks.js';

const target: WatchTarget = {
  key: 'pay/staging',
  service: 'pay',
  environment: 'staging',
  instance: 'default',
  application: 'pay-staging',
  gitlabProject: 'acme/pay',
  ref: 'main',
  imageRepository: 'reg/acme/pay',
  degraded: 'alert',
  drift: 'alert',
  graceMs: 60_000,
};

const healthy: WatchedStatus = {
  health: 'Healthy',
  sync: 'Synced',
  syncRevision: 'r1',
  operationPhase: 'Succeeded',
  operationRevision: 'r1',
  operationFinishedAt: '2026-01-01T00:00:00Z',
  initiatedBy: 'admin',
  images: ['reg/acme/pay:v1'],
};

const T0 = Date.parse('2026-01-01T01:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** Runs polls at the given seconds with the given observations; returns the last state and every effect. */
function run(polls: [number, Partial<AppObservation> & { status?: WatchedStatus }][], start = emptyWatchState()) {
  let state: WatchState = start;
  const effects: ReturnType<typeof applyPoll>['effects'] = [];
  for (const [s, obs] of polls) {
    const result = applyPoll(state, { at: at(s), apps: [{ target, ...obs }] }, at(s));
    state = result.state;
    effects.push(...result.effects);
    // What the workflow does with an `open`/`publish`: the message is out, with its ref.
    for (const e of result.effects) {
      const incident = state.open.find((i) => 'incidentId' in e && i.id === e.incidentId);
      if (incident) {
        incident.messageRef = { channel: 'C1', ts: '1.0' };
        incident.posted = incidentFingerprint(incident);
      }
    }
    retireClosed(state);
  }
  return { state, effects };
}

const degraded: WatchedStatus = { ...healthy, health: 'Degraded', healthMessage: 'crash loop' };

describe('applyPoll', () => {
  it('the first look is a baseline; Degraded opens one incident after the grace, then it is updated and closed', () => {
    const { state, effects } = run([
      [0, { status: degraded }], // baseline: remembered, nothing opens yet
      [30, { status: degraded }],
      [61, { status: degraded }], // past the grace
      [90, { status: { ...degraded, healthMessage: 'OOMKilled' } }],
      [120, { status: healthy }],
      [150, { status: degraded }], // flap: the same incident
      [160, { status: healthy }],
      [225, { status: healthy }], // healthy for the grace: closed
    ]);
    expect(effects.filter((e) => e.kind === 'open')).toHaveLength(1);
    expect(effects.filter((e) => e.kind === 'publish').length).toBeGreaterThanOrEqual(3);
    expect(state.open).toEqual([]);
    expect(state.recent).toHaveLength(1);
    expect(state.recent[0]).toMatchObject({ flaps: 1, openedAt: at(0), recoveredAt: at(160), closedAt: at(225) });
  });

  it('nothing while a release changes the environment, and never an incident for an ignored policy', () => {
    const busy = run([
      [0, { status: healthy }],
      [10, { status: degraded, busy: true }],
      [100, { status: degraded, busy: true }],
    ]);
    expect(busy.effects).toEqual([]);
    const ignored = applyPoll(
      run([[0, { status: healthy }]]).state,
      { at: at(100), apps: [{ target: { ...target, degraded: 'ignore' }, status: degraded }] },
      at(100),
    );
    expect(ignored.effects).toEqual([]);
  });

  it('drift is OutOfSync at the synced revision only; drift: sync asks once per grace period', () => {
    const drifted: WatchedStatus = { ...healthy, sync: 'OutOfSync' };
    const newer: WatchedStatus = { ...healthy, sync: 'OutOfSync', syncRevision: 'r2' };
    expect(
      run([
        [0, { status: healthy }],
        [10, { status: newer }],
        [100, { status: newer }],
      ]).effects,
    ).toEqual([]);
    const alert = run([
      [0, { status: healthy }],
      [10, { status: drifted }],
      [100, { status: drifted }],
    ]);
    expect(alert.state.open[0]?.kind).toBe('drift');
    let state = run([[0, { status: healthy }]]).state;
    const syncs: string[] = [];
    for (const s of [10, 20, 80]) {
      const r = applyPoll(
        state,
        { at: at(s), apps: [{ target: { ...target, drift: 'sync' }, status: drifted }] },
        at(s),
      );
      state = r.state;
      syncs.push(...r.effects.filter((e) => e.kind === 'sync').map(() => at(s)));
    }
    expect(syncs).toEqual([at(10), at(80)]);
  });

  it('a new finished operation is an external deploy unless Runway made it', () => {
    const external: WatchedStatus = {
      ...healthy,
      operationRevision: 'r2',
      syncRevision: 'r2',
      operationFinishedAt: '2026-01-01T01:00:05Z',
      initiatedBy: 'alice',
      images: ['reg/acme/pay:v2', 'sidecar:1'],
    };
    const { effects } = run([
      [0, { status: healthy }],
      [10, { status: external }],
      [20, { status: external }],
    ]);
    expect(effects).toEqual([
      {
        kind: 'external',
        operation: expect.objectContaining({ revision: 'r2', initiatedBy: 'alice', image: 'reg/acme/pay:v2' }),
      },
    ]);
    expect(
      run([
        [0, { status: healthy }],
        [10, { status: external, busy: true }],
      ]).effects,
    ).toEqual([]);
  });

  it('two syncs that finish in the same second are told apart by the history id', () => {
    // Argo CD's times have whole seconds: a hand sync right after another has the same startedAt and finishedAt.
    const first: WatchedStatus = { ...healthy, historyId: 3 };
    const again: WatchedStatus = { ...first, initiatedBy: 'alice', historyId: 4 };
    const { effects } = run([
      [0, { status: first }],
      [1, { status: again }],
      [2, { status: again }],
    ]);
    expect(effects).toEqual([{ kind: 'external', operation: expect.objectContaining({ initiatedBy: 'alice' }) }]);
    // An app with no history yet (-1 remembered): its first successful sync is new, even in the same second.
    const none: WatchedStatus = { ...healthy, operationPhase: 'Failed' };
    expect(
      run([
        [0, { status: none }],
        [1, { status: { ...healthy, historyId: 0 } }],
      ]).effects,
    ).toHaveLength(1);
    // A state kept before the id was remembered is not a difference (no second record after an upgrade).
    const old = run([[0, { status: healthy }]]).state;
    delete old.apps['pay/staging']!.lastOperation!.historyId;
    expect(run([[1, { status: first }]], old).effects).toEqual([]);
  });

  it('syncs made between two polls are each an external deploy, from the history', () => {
    const at0: WatchedStatus = { ...healthy, historyId: 3 };
    // Between two polls: bob synced r2, then carol synced r3 (the operation Argo CD still shows).
    const later: WatchedStatus = {
      ...healthy,
      operationRevision: 'r3',
      operationFinishedAt: '2026-01-01T01:00:08Z',
      initiatedBy: 'carol',
      historyId: 5,
      syncs: [
        {
          id: 4,
          revision: 'r2',
          startedAt: '2026-01-01T01:00:02Z',
          deployedAt: '2026-01-01T01:00:03Z',
          initiatedBy: 'bob',
        },
        { id: 5, revision: 'r3', deployedAt: '2026-01-01T01:00:08Z', initiatedBy: 'carol' },
      ],
    };
    const { effects } = run([
      [0, { status: at0 }],
      [10, { status: later }],
    ]);
    expect(effects.map((e) => e.kind === 'external' && [e.operation.revision, e.operation.initiatedBy])).toEqual([
      ['r2', 'bob'],
      ['r3', 'carol'],
    ]);
    // The last operation failed: it has no history entry, so every newer entry is an earlier sync.
    const failed: WatchedStatus = { ...later, operationPhase: 'Failed', historyId: 4, syncs: [later.syncs![0]!] };
    const again = run([
      [0, { status: at0 }],
      [10, { status: failed }],
    ]).effects;
    expect(again.map((e) => e.kind === 'external' && [e.operation.revision, e.operation.phase])).toEqual([
      ['r2', 'Succeeded'],
      ['r3', 'Failed'],
    ]);
    // Busy (a release changed it): none of them is external.
    expect(
      run([
        [0, { status: at0 }],
        [10, { status: later, busy: true }],
      ]).effects,
    ).toEqual([]);
  });

  it('Argo CD unreachable changes nothing; a silenced app opens nothing; a deleted app is dropped', () => {
    const opened = run([
      [0, { status: degraded }],
      [61, { status: degraded }],
    ]).state;
    const down = applyPoll(opened, { at: at(70), apps: [], unreachable: 'connect ECONNREFUSED' }, at(70));
    expect(down.effects).toEqual([]);
    expect(down.state.outage?.message).toContain('ECONNREFUSED');
    expect(down.state.open).toHaveLength(1);

    const silenced = run([[0, { status: healthy }]]).state;
    applySilence(silenced, { service: 'pay', environment: 'staging', until: at(3600), by: 'U1' });
    expect(
      run(
        [
          [10, { status: degraded }],
          [200, { status: degraded }],
        ],
        silenced,
      ).state.open,
    ).toEqual([]);

    const gone = run([[80, { gone: true }]], opened).state;
    expect(gone.apps).toEqual({});
    expect(gone.recent[0]?.closedReason).toMatch(/no longer in Argo CD/);
  });

  it('the closed message carries the duration and no buttons', () => {
    const { state } = run([
      [0, { status: degraded }],
      [61, { status: degraded }],
      [313, { status: healthy }],
      [400, { status: healthy }],
    ]);
    const message = buildIncidentMessage(state.recent[0]!);
    expect(message.text).toBe('pay staging: resolved (5m 13s)');
    expect(JSON.stringify(message.blocks)).not.toContain('"actions"');
    expect(formatDuration(7_500_000)).toBe('2h 5m');
  });

  it('the closed message says what the app was and what it is now, not that it still is Degraded', () => {
    const firstLine = (polls: Parameters<typeof run>[0]) => {
      const blocks = buildIncidentMessage(run(polls).state.recent[0]!).blocks;
      const section = blocks.find((b) => b.type === 'section')!;
      return 'text' in section && section.text && 'text' in section.text ? section.text.text.split('\n')[0] : '';
    };
    const closedAfter = (bad: WatchedStatus): Parameters<typeof run>[0] => [
      [0, { status: bad }],
      [61, { status: bad }],
      [313, { status: healthy }],
      [400, { status: healthy }],
    ];
    expect(firstLine(closedAfter(degraded))).toBe(
      '*App* `pay-staging` in *staging* was Degraded; it is Healthy again.',
    );
    expect(firstLine(closedAfter({ ...healthy, health: 'Missing' }))).toBe(
      '*App* `pay-staging` in *staging* was Missing; it is Healthy again.',
    );
    expect(firstLine(closedAfter({ ...healthy, sync: 'OutOfSync' }))).toBe(
      '*App* `pay-staging` in *staging* had drifted from the revision it was synced to; it is Synced and Healthy again.',
    );
    // Still open: the present tense.
    const open = run([
      [0, { status: degraded }],
      [61, { status: degraded }],
    ]).state.open[0]!;
    expect(JSON.stringify(buildIncidentMessage(open).blocks)).toContain('in *staging* is Degraded.');
  });
});

describe('the incident message names the revisions Argo CD reports', () => {
  const argoLine = (state: WatchState) =>
    JSON.stringify(buildIncidentMessage(state.open[0]!).blocks).match(/health \*[^"\\]*/)?.[0];

  it('says what runs (the last sync) and, when later commits moved the branch head, the head Argo CD compares against', () => {
    const opened = run([
      [0, { status: degraded }],
      [61, { status: degraded }],
    ]);
    expect(argoLine(opened.state)).toBe('health *Degraded* — crash loop; sync *Synced* at `r1`');
    // Another service's commit lands on the infra branch: Argo CD compares at the new head and stays Synced,
    // while the last sync (what runs) is still r1 (argo-cd controller/state.go CompareAppState; protocols.md B.2a).
    const headMoved: WatchedStatus = { ...degraded, syncRevision: 'r2head000' };
    const later = run([[90, { status: headMoved }]], opened.state);
    expect(argoLine(later.state)).toBe(
      'health *Degraded* — crash loop; sync *Synced* against branch head `r2head00`; last synced `r1`',
    );
    // A head that moved alone changes nothing a person needs at once: no chat.update (the fingerprint is as before).
    expect(later.effects).toEqual([]);
  });
});

describe('DORA from incidents', () => {
  const deploy = (id: string, endedAt: number): ReleaseRecord => ({
    releaseId: id,
    service: 'pay',
    kind: 'release',
    startedAt: endedAt - 600_000,
    status: 'succeeded',
    deploys: [{ environment: 'production', state: 'succeeded', endedAt }],
  });

  it('MTTR is Degraded → Healthy per service and environment; a change an incident follows is a failure', () => {
    const incidents = [
      { service: 'pay', environment: 'production', kind: 'degraded' as const, openedAt: 2_000, recoveredAt: 62_000 },
      { service: 'pay', environment: 'staging', kind: 'degraded' as const, openedAt: 5_000, recoveredAt: 125_000 },
      { service: 'pay', environment: 'staging', kind: 'degraded' as const, openedAt: 200_000 },
    ];
    const mttr = meanTimeToRecovery(incidents, 0, 1_000_000);
    expect(mttr).toMatchObject({ samples: 2, open: 1, meanSeconds: 90 });
    expect(mttr.byEnvironment['pay/production']).toEqual({ samples: 1, meanSeconds: 60 });

    const report = computeDora({
      records: [deploy('release/pay/a', 1_000), deploy('release/pay/b', 100_000)],
      productionOf: () => 'production',
      from: 0,
      to: 1_000_000,
      incidents,
    });
    // The first deploy was followed by a production incident before the next deploy: failed.
    expect(report.changeFailureRate).toEqual({ deploys: 2, failures: 1, rate: 0.5 });
    expect(report.meanTimeToRecovery.samples).toBe(2);
  });
});
