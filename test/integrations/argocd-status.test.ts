// The Application → AppStatus mapping, on Argo CD's own test data and on the edge cases the drivers meet.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  activeOperation,
  decidingSource,
  normalizeRepo,
  PermanentArgoCdError,
  sameRepo,
  toAppStatus,
} from '../../integrations/argocd-status.js';
import { evaluateHealth } from '../../domain/health.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

const SHA = 'ea8759964626a583667a2bfd08f334ec2070040a';

describe('toAppStatus', () => {
  it('maps the healthy fixture', () => {
    expect(toAppStatus(fixture('argocd-app-healthy.json'))).toEqual({
      syncStatus: 'Synced',
      syncRevision: 'rev1',
      health: 'Healthy',
      operationPhase: 'Succeeded',
      operationRevision: SHA,
      operationMessage: 'successfully synced (all tasks run)',
      operationFinishedAt: '2025-03-04T10:06:31Z',
      reconciledAt: '2025-03-04T10:08:00Z',
      operationStartedAt: '2025-03-04T10:06:29Z',
      operationInitiatedBy: 'runway',
      historyId: 7,
      syncs: [{ id: 7, revision: SHA, startedAt: '2025-03-04T10:06:29Z', deployedAt: '2025-03-04T10:06:31Z' }],
      images: ['registry.example.com/acme/checkout:7d3e5f0a'],
      targetRevision: 'main',
    });
  });

  it('reads the id of the last history entry, as the controller numbers the next one', () => {
    const app = fixture('argocd-app-healthy.json') as { status: { history: { id: number }[] } };
    app.status.history = [{ id: 41 }, { id: 42 }];
    expect(toAppStatus(app).historyId).toBe(42);
    app.status.history = [];
    expect(toAppStatus(app).historyId).toBeUndefined();
  });

  it('reads the newest ten history entries, with who started each', () => {
    const app = fixture('argocd-app-healthy.json') as { status: { history: unknown[] } };
    app.status.history = Array.from({ length: 12 }, (_, id) => ({
      id,
      revision: `r${id}`,
      deployedAt: '2025-03-04T10:06:31Z',
      initiatedBy: id % 2 ? { username: 'alice' } : { automated: true },
    }));
    const syncs = toAppStatus(app).syncs!;
    expect(syncs.map((s) => s.id)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(syncs.slice(-2)).toEqual([
      { id: 10, revision: 'r10', deployedAt: '2025-03-04T10:06:31Z', initiatedBy: 'automated' },
      { id: 11, revision: 'r11', deployedAt: '2025-03-04T10:06:31Z', initiatedBy: 'alice' },
    ]);
  });

  it('keeps the fixture quirk visible to evaluateHealth: sync and operation revisions disagree', () => {
    // In the fixture status.sync.revision is "rev1" but the operation synced ea87599…: neither is "done".
    const status = toAppStatus(fixture('argocd-app-healthy.json'));
    const ctx = { degradedForMs: 0, degradedGraceMs: 0, contains: (r?: string) => (r ? r === SHA : undefined) };
    expect(evaluateHealth(status, { ...ctx, revision: SHA }).state).toBe('waiting');
    expect(evaluateHealth(status, { ...ctx, revision: 'rev1' }).state).toBe('waiting');
    const consistent = toAppStatus(
      (() => {
        const app = fixture('argocd-app-healthy.json') as { status: { sync: { revision: string } } };
        app.status.sync.revision = SHA;
        return app;
      })(),
    );
    expect(evaluateHealth(consistent, { ...ctx, revision: SHA })).toEqual({ state: 'healthy' });
  });

  it('maps the minimal degraded fixture, defaulting what is absent', () => {
    expect(toAppStatus(fixture('argocd-app-degraded.json'))).toEqual({ syncStatus: 'Unknown', health: 'Degraded' });
  });

  it('falls back to operation.sync.revision while the sync has no result yet', () => {
    const app = {
      status: {
        sync: { status: 'OutOfSync', revision: 'old' },
        health: { status: 'Healthy' },
        operationState: { phase: 'Running', message: 'waiting', operation: { sync: { revision: 'new' } } },
      },
      operation: { sync: { revision: 'new' } },
    };
    expect(toAppStatus(app)).toMatchObject({
      operationPhase: 'Running',
      operationRevision: 'new',
      syncRevision: 'old',
    });
  });

  it('reads a pending operation next to a stale Failed state as Running, not as this sync failing', () => {
    // A merge patch sets `operation` but leaves the previous operationState until the controller picks it up.
    const app = {
      operation: { sync: { revision: 'abc' } },
      status: {
        sync: { status: 'OutOfSync', revision: 'old' },
        health: { status: 'Healthy' },
        operationState: { phase: 'Failed', message: 'boom', syncResult: { revision: 'abc' } },
      },
    };
    const status = toAppStatus(app);
    expect(status.operationPhase).toBe('Running');
    expect(status.operationRevision).toBe('abc');
    const contains = (r?: string) => (r ? r === 'abc' : undefined);
    expect(evaluateHealth(status, { revision: 'abc', degradedForMs: 0, degradedGraceMs: 0, contains }).state).toBe(
      'waiting',
    );
  });

  it('uses the first of `revisions` for multi-source applications', () => {
    const app = {
      status: {
        sync: { status: 'Synced', revisions: ['r1', 'r2'] },
        health: { status: 'Healthy' },
        operationState: { phase: 'Succeeded', syncResult: { revisions: ['r1', 'r2'] } },
      },
    };
    expect(toAppStatus(app)).toMatchObject({ syncRevision: 'r1', operationRevision: 'r1' });
  });

  it('turns garbage and unknown enum values into Unknown', () => {
    expect(toAppStatus(null)).toEqual({ syncStatus: 'Unknown', health: 'Unknown' });
    expect(
      toAppStatus({ status: { sync: { status: 'Weird' }, health: { status: 42 }, operationState: { phase: 'X' } } }),
    ).toEqual({
      syncStatus: 'Unknown',
      health: 'Unknown',
    });
  });
});

describe('activeOperation', () => {
  it('is the requested operation while `operation` is set', () => {
    expect(activeOperation({ operation: { sync: { revision: 'a' } }, status: {} })).toEqual({ revision: 'a' });
  });

  it('is the running operation state', () => {
    const app = { status: { operationState: { phase: 'Terminating', operation: { sync: { revision: 'b' } } } } };
    expect(activeOperation(app)).toEqual({ revision: 'b' });
  });

  it('is null when the last operation has completed', () => {
    expect(activeOperation(fixture('argocd-app-healthy.json'))).toBeNull();
  });
});

describe('multi-source applications', () => {
  const app = {
    spec: {
      sources: [
        { repoURL: 'https://charts.example.com', chart: 'web', targetRevision: '1.4.2' },
        { repoURL: 'https://gitlab.example.com/platform/infra.git', path: 'apps/web', targetRevision: 'main' },
      ],
      syncPolicy: { automated: { prune: true } },
    },
    status: {
      sync: { status: 'Synced', revisions: ['1.4.2', 'head'] },
      health: { status: 'Healthy' },
      operationState: {
        phase: 'Succeeded',
        operation: { sync: { revisions: ['1.4.2', 'synced'] }, initiatedBy: { automated: true } },
        syncResult: { revisions: ['1.4.2', 'synced'] },
      },
    },
  };

  it('reads the source that points at the infra repository (a URL or a GitLab project path)', () => {
    for (const infraRepo of ['platform/infra', 'git@gitlab.example.com:platform/infra.git']) {
      expect(toAppStatus(app, { name: 'web', infraRepo })).toMatchObject({
        syncRevision: 'head',
        operationRevision: 'synced',
        operationAutomated: true,
        automated: true,
        targetRevision: 'main',
        sourceIndex: 1,
        sourceCount: 2,
      });
    }
  });

  it('refuses an app none of whose sources is the infra repository, permanently', () => {
    expect(() => decidingSource(app, { name: 'web', infraRepo: 'platform/other' })).toThrow(PermanentArgoCdError);
    expect(() => decidingSource(app, { name: 'web' })).toThrow(/none is the infra repository/);
  });

  it('compares repository URLs the way people write them', () => {
    expect(normalizeRepo('https://user:tok@GitLab.example.com/Platform/Infra.git/')).toBe(
      'gitlab.example.com/platform/infra',
    );
    expect(sameRepo('ssh://git@gitlab.example.com:2222/platform/infra.git', 'platform/infra')).toBe(true);
    expect(sameRepo('file:///tmp/x/infra.git', 'file:///tmp/x/infra.git')).toBe(true);
    expect(sameRepo('https://gitlab.example.com/platform/infra-tools', 'platform/infra')).toBe(false);
  });

  it('treats `automated: {enabled: false}` as a manual app (Argo CD 3)', () => {
    const off = { ...app, spec: { ...app.spec, syncPolicy: { automated: { enabled: false } } } };
    expect(toAppStatus(off, { name: 'web', infraRepo: 'platform/infra' }).automated).toBeUndefined();
  });
});
