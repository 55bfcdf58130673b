import { describe, expect, it } from 'vitest';
import { syncRevisionFor } from '../../activities/argocd-sync.js';
import type { AppStatus } from '../../activities/ports.js';

const commit = 'c0ffee0000000000000000000000000000000000';
const app = (over: Partial<AppStatus>): AppStatus => ({ syncStatus: 'Synced', health: 'Healthy', ...over });

describe('syncRevisionFor: what a sync names, by the app', () => {
  it('names nothing for an auto-sync app (Argo CD refuses any other revision than targetRevision)', () => {
    expect(syncRevisionFor(app({ automated: true, targetRevision: 'main' }), commit, 'main')).toEqual({});
  });

  it('names the branch a manual app tracks, so the sync contains the bump and every later commit', () => {
    expect(syncRevisionFor(app({ targetRevision: 'main' }), commit, 'main')).toEqual({ revision: 'main' });
    expect(syncRevisionFor(app({ targetRevision: 'refs/heads/main' }), commit, 'main').revision).toBe(
      'refs/heads/main',
    );
  });

  it('names the bump commit when the app pins no branch of the infra repo', () => {
    for (const targetRevision of ['HEAD', undefined, 'v1.2.0', 'release', commit]) {
      expect(syncRevisionFor(app({ targetRevision }), commit, 'main').revision).toBe(commit);
    }
    expect(syncRevisionFor(app({ targetRevision: 'main' }), commit, undefined).revision).toBe(commit);
  });

  it('addresses the infra source of a multi-source app', () => {
    expect(syncRevisionFor(app({ targetRevision: 'main', sourceIndex: 1 }), commit, 'main')).toEqual({
      revision: 'main',
      sourceIndex: 1,
    });
  });
});
