// What the Temporal UI shows: a release's current details as readable markdown (paragraphs and a list, not
// one run-on line), and the service lock saying what it is and who holds it.
import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../workflows/timeline.js';
import { envLockDetails } from '../../workflows/lock-details.js';
import { lockDetails } from '../../workflows/service-lock.js';
import { testPlan } from '../support/plans.js';

describe('Temporal UI details', () => {
  it('renders a release as paragraphs and one list item per stage', () => {
    const plan = testPlan({ service: 'payments', sha: 'abcdef0123456789abcdef0123456789abcdef01' });
    const recorder = new TimelineRecorder(plan);
    Object.assign(recorder.timeline, {
      status: 'awaiting_approval',
      stage: 'approval:production',
      stages: [
        { kind: 'image', state: 'succeeded', details: {} },
        { kind: 'deploy', environment: 'staging', state: 'succeeded', details: {} },
        { kind: 'approval', environment: 'production', state: 'running', details: {} },
      ],
      warnings: ['MR comment could not be written'],
    });
    const paragraphs = recorder.summary().split('\n\n');
    expect(paragraphs[0]).toMatch(/^\*\*payments\*\* `abcdef01` → `.+`$/);
    expect(paragraphs[1]).toBe('Status: **awaiting approval** · stage: `approval:production`');
    expect(paragraphs[2]!.split('\n')).toEqual([
      '- ✅ image: succeeded',
      '- ✅ deploy · staging: succeeded',
      '- ⏳ approval · production: running',
    ]);
    expect(paragraphs[3]).toBe('- ⚠️ MR comment could not be written');
  });

  it('explains the service lock and lists holder and waiters', () => {
    const text = lockDetails({
      service: 'payments',
      holder: { releaseId: 'release/payments/aaa', environment: 'staging', releaseStartedAt: 1 },
      queue: [{ releaseId: 'release/payments/bbb', environment: 'staging', releaseStartedAt: 2 }],
      waitingForApproval: [{ releaseId: 'release/payments/ccc', releaseStartedAt: 0, waiting: true }],
      livenessCheckMs: 60_000,
    });
    expect(text).toContain('**Service lock for payments** — not a release');
    expect(text).toContain('Held by `release/payments/aaa` (staging).');
    expect(text).toContain('Waiting for the lock:\n- `release/payments/bbb` (staging)');
    expect(text).toContain('Waiting for approval:\n- `release/payments/ccc`');
    expect(lockDetails({ service: 'x', queue: [], waitingForApproval: [], livenessCheckMs: 1 })).toMatch(/Free\.$/);
  });

  it('explains an environment lock and lists holder, waiters and the newest release', () => {
    const request = (id: string) => ({
      releaseId: `release/payments/${id}`,
      projectId: 'acme/payments',
      sha: id.padEnd(40, '0'),
      releaseStartedAt: 1,
      purpose: 'deploy' as const,
    });
    const text = envLockDetails({
      service: 'payments',
      environment: 'production',
      settings: { leaseMs: 1, livenessCheckMs: 1, idleMs: 1 },
      holder: { ...request('aaa'), grantedAt: 1, leaseUntil: 2 },
      queue: [request('bbb')],
      waitingForApproval: [request('ccc')],
      newest: request('aaa'),
      takeovers: [],
    });
    expect(text).toContain('**Lock of payments in production** — not a release');
    expect(text).toContain('Held by `release/payments/aaa` (deploy).');
    expect(text).toContain('Waiting for the lock:\n- `release/payments/bbb` (deploy)');
    expect(text).toContain('Waiting for approval:\n- `release/payments/ccc`');
    expect(text).toContain('Newest here: `release/payments/aaa`.');
  });
});
