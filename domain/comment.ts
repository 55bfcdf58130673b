// The MR comment that tells the author how their merge went: one per release, edited as it moves.
import type { ReleasePlan, ReleaseTimeline } from './types.js';
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
    const d = stage.details;
    const details = [
      d.previousImage ? `from \`${String(d.previousImage)}\`` : '',
      d.infraCommit ? `infra ${String(d.infraCommit).slice(0, 8)}` : '',
      d.decidedBy ? `by ${String(d.decidedBy)}` : '',
      d.buildSkipped === true ? 'build skipped: image already in registry' : '',
      d.forcedBy ? `forced by ${String(d.forcedBy)}: ${String(d.forceReason ?? '')}` : '',
      d.summary && !d.error && !d.forcedBy ? String(d.summary) : '',
      d.error ? `error: ${String(d.error)}` : '',
    ].filter(Boolean);
    lines.push(`| ${stage.kind} | ${stage.environment ?? ''} | ${stage.state} | ${details.join(', ')} |`);
  }
  if (timeline.error) lines.push('', `**Error:** ${timeline.error}`);
  for (const notes of timeline.notes ?? []) lines.push('', ...notesMarkdown(notes));
  const links = Object.entries(timeline.links).map(([name, url]) => `[${name}](${url})`);
  if (links.length) lines.push('', `Links: ${links.join(' · ')}`);
  return lines.join('\n');
}
