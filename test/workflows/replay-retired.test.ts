// Retired patches are really retired: the saved histories of runs that took a deleted old path
// (test/histories/retired/) no longer replay on the current code, so an open run like them would be stuck; that is
// why the worker refuses to start while such runs are open (platform/retired-patch-runs.ts, worker/retired-patch-guard.ts). Every history still in
// test/histories/ of the same workflow types carries the marker of the path that remains (replay.test.ts).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { retiredPatches } from '../../domain/patches.js';
import { readSavedHistory } from '../support/history-markers.js';
import { readFileSync } from 'node:fs';

const dir = fileURLToPath(new URL('../histories/', import.meta.url));
const retiredDir = `${dir}retired/`;
const retiredFiles = readdirSync(retiredDir).filter((f) => f.endsWith('.json'));
const liveFiles = readdirSync(dir).filter((f) => f.endsWith('.json'));
// A release/rollback run took the current path of `local-activities` when it has its marker or the later one.
const localActivitiesPaths = ['local-activities', 'no-local-activities'];

describe('retired patches', () => {
  it('has retired histories, each from before a retired patch shipped and without its marker', () => {
    expect(retiredFiles.length).toBeGreaterThan(0);
    for (const file of retiredFiles) {
      const history = readSavedHistory(retiredDir + file);
      const why = retiredPatches().filter(
        (p) =>
          p.workflowTypes.includes(history.workflowType) &&
          history.startTime < p.oldRunsBefore &&
          !history.patches.includes(p.id),
      );
      expect(
        why.map((p) => p.id),
        file,
      ).not.toEqual([]);
    }
  });

  it.each(retiredFiles)('retired/%s no longer replays (a determinism error)', async (file) => {
    const history: unknown = JSON.parse(readFileSync(retiredDir + file, 'utf8'));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { code: inject('workflowBundleCode') } }, history, file),
    ).rejects.toMatchObject({ name: 'DeterminismViolationError' });
  });

  it('every release or rollback history still replayed took the path that remains', () => {
    for (const file of liveFiles) {
      const history = readSavedHistory(dir + file);
      if (!['releaseWorkflow', 'rollbackWorkflow'].includes(history.workflowType)) continue;
      expect(
        history.patches.filter((id) => localActivitiesPaths.includes(id)),
        file,
      ).not.toEqual([]);
    }
  });
});
