// domain/patches.ts is the whole truth about patches: every id the workflows call is in it at its stage and every
// entry is called; retired ones come with a cutoff; and the saved histories cover the new path of the live ones.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATCHES, retiredPatches, type PatchId } from '../../domain/patches.js';
import { readSavedHistory } from '../support/history-markers.js';

const root = path.resolve(import.meta.dirname, '../..');
const histories = path.join(root, 'test/histories');

/** [file, source] of every workflow module. */
function workflowSources(dir = path.join(root, 'workflows')): [string, string][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry): [string, string][] => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return workflowSources(file);
    return entry.name.endsWith('.ts') ? [[path.relative(root, file), readFileSync(file, 'utf8')]] : [];
  });
}

function calls(fn: string): Set<string> {
  const found = new Set<string>();
  for (const [, source] of workflowSources()) {
    for (const m of source.matchAll(new RegExp(`\\b${fn}\\('([^']+)'\\)`, 'g'))) found.add(m[1]!);
  }
  return found;
}

// Live patches whose new path no saved history shows, and why.
const UNRECORDED: Partial<Record<PatchId, string>> = {
  'argocd-sync-window': 'only a release whose sync an Argo CD sync window refused takes it; the recorder has none',
  'service-lock-idle-end': 'serviceLockWorkflow is no longer started by new releases (environment locks)',
};

describe('patch registry', () => {
  it('lists exactly the patches the workflows call, each at its stage', () => {
    const byStage = (stage: string) =>
      Object.entries(PATCHES)
        .filter(([, info]) => info.stage === stage)
        .map(([id]) => id)
        .sort();
    expect([...calls('isPatched')].sort()).toEqual(byStage('live'));
    expect([...calls('retiredPatch')].sort()).toEqual(byStage('deprecated'));
    // Only workflows/patching.ts calls the SDK's functions (with a typed id).
    const direct = workflowSources()
      .filter(([, source]) =>
        /import \{[^}]*\b(patched|deprecatePatch)\b[^}]*\} from '@temporalio\/workflow'/.test(source),
      )
      .map(([file]) => file);
    expect(direct).toEqual(['workflows/patching.ts']);
  });

  it('retired patches: the 2026-11-21 generation, old runs are those started before the end of that day', () => {
    expect(retiredPatches().map((p) => [p.id, p.retired, p.oldRunsBefore.toISOString()])).toEqual([
      ['status-before-decided-notification', '2026-12-07', '2026-11-22T00:00:00.000Z'],
      ['local-activities', '2026-12-07', '2026-11-22T00:00:00.000Z'],
    ]);
  });

  it('the saved histories show the new path of every live patch (but the listed ones)', () => {
    const recorded = new Set(
      readdirSync(histories)
        .filter((f) => f.endsWith('.json'))
        .flatMap((f) => readSavedHistory(path.join(histories, f)).patches),
    );
    const live = Object.entries(PATCHES)
      .filter(([, info]) => info.stage === 'live')
      .map(([id]) => id as PatchId);
    expect(live.filter((id) => !recorded.has(id)).sort()).toEqual(Object.keys(UNRECORDED).sort());
  });
});
