import { describe, expect, it } from 'vitest';
import { evaluateHealth } from '../../domain/health.js';
import type { AppStatus } from '../../activities/ports.js';

const rev = 'c0ffee0000000000000000000000000000000000';
const ctx = { revision: rev, degradedForMs: 0, degradedGraceMs: 30_000 };
const done: AppStatus = {
  syncStatus: 'Synced',
  syncRevision: rev,
  health: 'Healthy',
  operationPhase: 'Succeeded',
  operationRevision: rev,
};

describe('evaluateHealth', () => {
  it('is healthy only when synced to exactly the revision, Healthy, and the operation Succeeded', () => {
    expect(evaluateHealth(done, ctx)).toEqual({ state: 'healthy' });
    expect(evaluateHealth({ ...done, syncRevision: 'other' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, syncStatus: 'OutOfSync' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationPhase: 'Running' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationPhase: undefined }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, operationRevision: 'older' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, health: 'Progressing' }, ctx).state).toBe('waiting');
  });

  it('keeps waiting on Missing and Unknown (bounded by the health timeout)', () => {
    expect(evaluateHealth({ ...done, health: 'Missing' }, ctx).state).toBe('waiting');
    expect(evaluateHealth({ ...done, health: 'Unknown', syncStatus: 'Unknown' }, ctx).state).toBe('waiting');
  });

  it('fails fast when our sync operation Failed or Errored', () => {
    const failed = evaluateHealth(
      { ...done, operationPhase: 'Failed', operationMessage: 'one or more objects failed to apply' },
      ctx,
    );
    expect(failed).toEqual({ state: 'failed', reason: 'sync operation Failed: one or more objects failed to apply' });
    expect(evaluateHealth({ ...done, operationPhase: 'Error', syncRevision: 'x' }, ctx).state).toBe('failed');
    // an older operation's failure is not ours
    expect(evaluateHealth({ ...done, operationPhase: 'Failed', operationRevision: 'older' }, ctx).state).toBe(
      'waiting',
    );
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
