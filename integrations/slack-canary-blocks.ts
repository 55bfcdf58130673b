// The canary part of a release's Slack message: the steps passed so far (with their check values) and, while
// an approver's Promote is awaited at a pause, the buttons "Promote to the next step" / "Promote fully" / "Abort".
import type { ReleaseTimeline } from '../domain/types.js';
import type { SlackBlock } from './slack-blocks.js';

export const CANARY_PROMOTE_ACTION_ID = 'runway_canary_promote';
export const CANARY_PROMOTE_FULL_ACTION_ID = 'runway_canary_promote_full';
export const CANARY_ABORT_ACTION_ID = 'runway_canary_abort';
/** block_id of the canary buttons. */
export const CANARY_BLOCK_ID = 'runway_canary';

export interface CanaryButtonValue {
  releaseId: string;
  environment: string;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function parseCanaryButtonValue(value: string): CanaryButtonValue | null {
  try {
    const parsed = JSON.parse(value) as Record<string, unknown> | null;
    if (typeof parsed?.releaseId !== 'string' || typeof parsed.environment !== 'string') return null;
    return { releaseId: parsed.releaseId, environment: parsed.environment };
  } catch {
    return null;
  }
}

export function canaryBlocks(t: ReleaseTimeline): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  const stage = t.stages.findLast((s) => s.kind === 'canary');
  if (!stage) return blocks;
  const steps = stage.details.steps ? stage.details.steps.split('\n') : [];
  if (steps.length) {
    const lines = steps.map((s) => `:white_check_mark: ${escape(s)}`).join('\n');
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: lines.slice(0, 2900) }] });
  }
  if (stage.state !== 'running' || stage.details.gate !== 'waiting' || !stage.environment) return blocks;
  const value = JSON.stringify({ releaseId: t.releaseId, environment: stage.environment });
  const step = stage.details.step ?? 'the canary';
  blocks.push(
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:hourglass: *${escape(stage.environment)}* waits at ${escape(step)}: promote it?`,
      },
    },
    {
      type: 'actions',
      block_id: CANARY_BLOCK_ID,
      elements: [
        {
          type: 'button',
          action_id: CANARY_PROMOTE_ACTION_ID,
          style: 'primary',
          value,
          text: { type: 'plain_text', text: 'Promote to the next step' },
        },
        {
          type: 'button',
          action_id: CANARY_PROMOTE_FULL_ACTION_ID,
          value,
          text: { type: 'plain_text', text: 'Promote fully' },
        },
        {
          type: 'button',
          action_id: CANARY_ABORT_ACTION_ID,
          style: 'danger',
          value,
          text: { type: 'plain_text', text: 'Abort' },
        },
      ],
    },
  );
  return blocks;
}
