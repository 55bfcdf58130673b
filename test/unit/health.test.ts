import { describe, expect, it } from 'vitest';
import {
  awaitingReconcile,
  evaluateHealth,
  reconciledAfterOperation,
  type HealthContext,
} from '../../domain/health.js';
import type { AppStatus } from '../../activities/ports.js';

const rev = 'c0ffee0000000000000000000000000000000000';
const later = 'beef000000000000000000000000000000000000'; // a descendant of rev (another service's bump)
const older = 'dead000000000000000000000000000000000000'; // before rev
const history: Record<string, boolean> = { [rev]: true, [later]: true, [older]: false };
const ctx: HealthContext = {
  revision: rev,
  contains: (r) => (r === undefined ? undefined : history[r]),
  degradedForMs: 0,
  degradedGraceMs: 30_000,
};
const done: AppStatus = {
  syncStatus: 'Synced',
  syncRevision: rev,
  health: 'Healthy',
  operationPhase: 'Succeeded',
  operationRevision: rev,
};

describe('evaluateHealth', () => {
  it('is healthy when Synced + Healthy at a revision containing the commit, after a successful sync containing it', () => {
    expect(evaluateHealth(done, ctx)).toEqual({ state: 'healthy' });
    // The branch moved on (status.sync.revision is the head after a refresh): still deployed.
    expect(evaluateHealth({ ...done, syncRevision: later }, ctx)).toEqual({ state: 'healthy' });
    // The last sync (manual or automated) ran at a later commit that contains ours.
    expect(evaluateHealth({ ...done, syncRevision: later, operationRevision: later }, ctx)).toEqual({
      state: 'healthy',
    });
  });

  it('waits while the revision or the last sync does not contain the commit', () => {
    expect(evaluateHealth({ ...done, syncRevision: older }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationRevision: older }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, syncRevision: 'unknown' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, syncStatus: 'OutOfSync' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationPhase: 'Running' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationPhase: undefined }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, health: 'Progressing' }, ctx).state).toBe('waiting');
  });

  it('keeps waiting on Missing and Unknown by default (bounded by the health timeout)', () => {
    expect(evaluateHealth({ ...done, health: 'Missing' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, health: 'Unknown', syncStatus: 'Unknown' }, ctx).state).toBe('waiting');
  });

  it('Missing fails after the grace when configured so', () => {
    const missing = { ...done, health: 'Missing' as const };
    expect(evaluateHealth(missing, { ...ctx, missing: 'fail', missingForMs: 1_000 }).state).toBe('waiting');
    expect(evaluateHealth(missing, { ...ctx, missing: 'fail', missingForMs: 30_000 }).state).toBe('failed');
  });

  it('Suspended waits, counts as healthy, or fails, as configured', () => {
    const suspended = { ...done, health: 'Suspended' as const, healthMessage: 'Rollout is paused' };
    expect(evaluateHealth(suspended, ctx).state).toBe('waiting');
    expect(evaluateHealth(suspended, { ...ctx, suspended: 'healthy' })).toEqual({ state: 'healthy' });
    expect(evaluateHealth(suspended, { ...ctx, suspended: 'fail' })).toEqual({
      state: 'failed',
      reason: 'application Suspended: Rollout is paused',
    });
  });

  it('fails fast when a sync containing the commit Failed or Errored', () => {
    const failed = evaluateHealth(
      { ...done, operationPhase: 'Failed', operationMessage: 'one or more objects failed to apply' },
      ctx,
    );
    expect(failed).toEqual({ state: 'failed', reason: 'sync operation Failed: one or more objects failed to apply' });
    expect(evaluateHealth({ ...done, operationPhase: 'Error', syncRevision: 'x' }, ctx).state).toBe('failed');
    expect(evaluateHealth({ ...done, operationPhase: 'Failed', operationRevision: later }, ctx).state).toBe('failed');
    // a failed sync of an older revision is not this deploy failing: a new sync is needed
    expect(evaluateHealth({ ...done, operationPhase: 'Failed', operationRevision: older }, ctx).state).toBe('waiting');
  });

  it('tolerates Degraded during the grace period, then fails', () => {
    const degraded = { ...done, health: 'Degraded' as const, healthMessage: 'CrashLoopBackOff' };
    expect(evaluateHealth(degraded, { ...ctx, degradedForMs: 10_000 }).state).toBe('waiting');
    expect(evaluateHealth(degraded, { ...ctx, degradedForMs: 30_000 })).toEqual({
      state: 'failed',
      reason: 'application Degraded: CrashLoopBackOff',
    });
  });
});

describe('the window after an operation (argocd app wait: reconciledAt >= operationState.finishedAt)', () => {
  // Argo CD wrote the operation's end, but the status beside it is the last reconcile's: the one that ran
  // during the operation, when the synced manifests were already applied and the old pods still answered.
  const window: AppStatus = {
    ...done,
    operationFinishedAt: '2026-12-07T10:00:05Z',
    reconciledAt: '2026-12-07T10:00:03Z',
  };

  it('a Runway without the rule calls the deploy Healthy on the old pods', () => {
    const { operationFinishedAt: _f, reconciledAt: _r, ...withoutTimes } = window;
    expect(evaluateHealth(withoutTimes, ctx)).toEqual({ state: 'healthy' });
  });

  it('waits until the controller has reconciled since the operation finished', () => {
    expect(awaitingReconcile(window)).toBe(true);
    const verdict = evaluateHealth(window, ctx);
    expect(verdict.state).toBe('waiting');
    expect(verdict.state === 'waiting' && verdict.reason).toMatch(/not reconciled since the operation finished/);
    // Never reconciled at all counts as not yet (a nil reconciledAt upstream).
    expect(evaluateHealth({ ...window, reconciledAt: undefined }, ctx).state).toBe('waiting');
    // At or after the end (second precision upstream: equal is trusted) the status can be believed.
    expect(evaluateHealth({ ...window, reconciledAt: '2026-12-07T10:00:05Z' }, ctx)).toEqual({ state: 'healthy' });
    expect(evaluateHealth({ ...window, reconciledAt: '2026-12-07T10:01:00Z' }, ctx)).toEqual({ state: 'healthy' });
  });

  it('a stale Degraded does not fail the deploy, and a failed operation still fails at once', () => {
    const stale = { ...window, health: 'Degraded' as const };
    expect(evaluateHealth(stale, { ...ctx, degradedForMs: 60_000, degradedGraceMs: 0 }).state).toBe('waiting');
    const failed: AppStatus = { ...window, operationPhase: 'Failed', operationMessage: 'apply failed' };
    expect(evaluateHealth(failed, ctx).state).toBe('failed');
  });
});

describe('reconciledAfterOperation (deciding a new sync)', () => {
  it('needs a reconcile strictly after the operation: the same second may be the one before it', () => {
    const base: AppStatus = { ...done, operationFinishedAt: '2026-12-07T10:00:05Z' };
    expect(reconciledAfterOperation({ ...base, reconciledAt: '2026-12-07T10:00:05Z' })).toBe(false);
    expect(reconciledAfterOperation({ ...base, reconciledAt: '2026-12-07T10:00:06Z' })).toBe(true);
    expect(reconciledAfterOperation({ ...base, reconciledAt: undefined })).toBe(false);
    expect(reconciledAfterOperation(done)).toBe(true);
  });
});
