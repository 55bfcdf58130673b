// The MR comment that tells the author how their merge went: one per release, edited as it moves.
import type { ReleasePlan, ReleaseTimeline, StageRecord } from './types.js';
import { shortSha } from './ids.js';
import { notesMarkdown } from './release-notes.js';
import { formatImageRef } from './image-ref.js';

const ICON: Record<string, string> = {
  succeeded: '✅',
  failed: '❌',
  rolled_back: '↩️',
  rollback_failed: '🚨',
  rejected: '⛔',
  expired: '⌛',
  superseded: '⏭️',
  cancelled: '🛑',
};

export function mergeRequestComment(plan: ReleasePlan, timeline: ReleaseTimeline): string {
  const lines = [
    `${ICON[timeline.status] ?? 'ℹ️'} **Runway release ${timeline.status.replace('_', ' ')}**: \`${plan.service}\` at ${shortSha(plan.commit.sha)} (\`${formatImageRef(plan.image)}\`)`,
    '',
    '| stage | environment | result | details |',
    '| --- | --- | --- | --- |',
  ];
  for (const stage of timeline.stages) {
    const details = stageNotes(stage).filter(Boolean);
    lines.push(`| ${stage.kind} | ${stage.environment ?? ''} | ${stage.state} | ${details.join(', ')} |`);
  }
  if (timeline.error) lines.push('', `**Error:** ${timeline.error}`);
  for (const notes of timeline.notes ?? []) lines.push('', ...notesMarkdown(notes));
  const links = Object.entries(timeline.links).map(([name, url]) => `[${name}](${url})`);
  if (links.length) lines.push('', `Links: ${links.join(' · ')}`);
  return lines.join('\n');
}

const errorNote = (error: string | undefined) => (error ? `error: ${error}` : '');
const infraNote = (commit: string | undefined) => (commit ? `infra ${commit.slice(0, 8)}` : '');

/** The table's "details" cell of one stage: what matters of its kind ('' for what it lacks). */
function stageNotes(stage: StageRecord): string[] {
  switch (stage.kind) {
    case 'image':
      return [
        stage.details.buildSkipped === true ? 'build skipped: image already in registry' : '',
        errorNote(stage.details.error),
      ];
    case 'approval':
      return [stage.details.decidedBy ? `by ${stage.details.decidedBy}` : '', errorNote(stage.details.error)];
    case 'window': {
      const d = stage.details;
      return [d.forcedBy ? `forced by ${d.forcedBy}: ${d.forceReason ?? ''}` : (d.summary ?? '')];
    }
    case 'queue':
      return [errorNote(stage.details.error)];
    case 'deploy': {
      const d = stage.details;
      return [d.previousImage ? `from \`${d.previousImage}\`` : '', infraNote(d.infraCommit), errorNote(d.error)];
    }
    case 'rollback':
      return [infraNote(stage.details.infraCommit), errorNote(stage.details.error)];
    case 'verify':
    case 'canary':
      // A failed check's error says more than the last summary.
      return [stage.details.error ? errorNote(stage.details.error) : (stage.details.summary ?? '')];
    case 'soak':
      return [stage.details.summary ?? ''];
  }
}
