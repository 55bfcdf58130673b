// The Application → AppStatus mapping, on Argo CD's own test data and on the edge cases the drivers meet.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  activeOperation,
  PermanentArgoCdError,
  toAppStatus,
  untilIdle,
} from '../../activities/integrations/argocd-status.js';
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
    });
  });

  it('keeps the fixture quirk visible to evaluateHealth: sync and operation revisions disagree', () => {
    // In the fixture status.sync.revision is "rev1" but the operation synced ea87599…: neither is "done".
    const status = toAppStatus(fixture('argocd-app-healthy.json'));
    const ctx = { degradedForMs: 0, degradedGraceMs: 0 };
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
    expect(evaluateHealth(status, { revision: 'abc', degradedForMs: 0, degradedGraceMs: 0 }).state).toBe('waiting');
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

describe('untilIdle', () => {
  it('retries while busy and gives up with a plain, retryable Error after the deadline', async () => {
    let calls = 0;
    const err = await untilIdle('web', { deadlineMs: 60, initialDelayMs: 5, maxDelayMs: 20 }, async () => {
      calls++;
      return { busyWith: 'other' };
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentArgoCdError);
    expect((err as Error).message).toMatch(/another operation is still in progress \(for revision other\)/);
    expect(calls).toBeGreaterThan(2);
  });

  it('stops as soon as the attempt is done', async () => {
    let calls = 0;
    await untilIdle('web', { deadlineMs: 1000, initialDelayMs: 1, maxDelayMs: 1 }, async () =>
      ++calls < 3 ? {} : 'done',
    );
    expect(calls).toBe(3);
  });
});
