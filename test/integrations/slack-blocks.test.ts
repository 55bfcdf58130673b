import type { KnownBlock } from '@slack/types';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ReleaseTimeline, StageOf, StageRecord } from '../../domain/types.js';
import type { ReleaseNotification } from '../../activities/ports.js';
import {
  APPROVAL_BLOCK_ID,
  APPROVE_ACTION_ID,
  REJECT_ACTION_ID,
  approvalButtonValue,
  buildLogsUrl,
  buildReleaseMessage,
  buildThreadReply,
  escapeWithMentions,
  mention,
  parseApprovalButtonValue,
  replaceApprovalActions,
  type SlackBlock,
} from '../../integrations/slack-blocks.js';
import { blockProblems } from '../../fakes/slack.js';

function timeline(overrides: Partial<ReleaseTimeline> = {}): ReleaseTimeline {
  return {
    releaseId: 'rel-payments-0001',
    service: 'payments',
    commit: '0123456789abcdef0123456789abcdef01234567',
    status: 'running',
    stage: 'deploy:staging',
    stages: [
      { kind: 'image', state: 'succeeded', details: { image: 'registry.example.com/acme/payments:0123456' } },
      {
        kind: 'deploy',
        environment: 'staging',
        state: 'running',
        details: {
          previousImage: 'registry.example.com/acme/payments:fedcba9',
          image: 'registry.example.com/acme/payments:0123456',
          infraCommit: 'aaaabbbbccccddddeeeeffff0000111122223333',
        },
      },
    ],
    warnings: [],
    links: {},
    ...overrides,
  };
}

function allText(blocks: SlackBlock[]): string {
  return JSON.stringify(blocks);
}

function actions(blocks: SlackBlock[]) {
  return blocks.find((b) => b.type === 'actions');
}

const approvalStage = (state: StageRecord['state'], details: StageOf<'approval'>['details'] = {}): StageRecord => ({
  kind: 'approval',
  environment: 'production',
  state,
  details,
});

describe('block types', () => {
  it("are @slack/types' Block Kit: every block Runway writes is a KnownBlock", () => {
    expectTypeOf<SlackBlock>().toExtend<KnownBlock>();
    const { blocks } = buildReleaseMessage({ kind: 'started', timeline: timeline() });
    const known: KnownBlock[] = blocks;
    expect(known.length).toBeGreaterThan(0);
    // @ts-expect-error -- a section's text is an object (mrkdwn), not a string
    const wrong: SlackBlock = { type: 'section', text: 'plain string' };
    expect(wrong.type).toBe('section');
  });
});

describe('buildReleaseMessage', () => {
  it('has a header with emoji, service and short commit, and a section per stage', () => {
    const { blocks, text } = buildReleaseMessage({ kind: 'started', timeline: timeline() });
    expect(blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', emoji: true, text: ':hourglass_flowing_sand: payments 01234567 — running' },
    });
    const sections = blocks.filter((b) => b.type === 'section').map((b) => (b.type === 'section' ? b.text.text : ''));
    expect(sections).toHaveLength(2);
    expect(sections[1]).toContain('*Deploy · staging*');
    expect(sections[1]).toContain(
      '`registry.example.com/acme/payments:fedcba9` → `registry.example.com/acme/payments:0123456`',
    );
    expect(sections[1]).toContain('Infra commit `aaaabbbb`');
    expect(text).toContain('payments 01234567 running (deploy:staging)');
    expect(blockProblems(blocks)).toEqual([]);
  });

  it('approval_requested: Approve/Reject buttons whose value round-trips', () => {
    const n: ReleaseNotification = {
      kind: 'approval_requested',
      environment: 'production',
      approvers: ['U012ABCDEF', 'alice'],
      timeline: timeline({ status: 'awaiting_approval', stages: [approvalStage('running')] }),
    };
    const { blocks } = buildReleaseMessage(n);
    const block = actions(blocks);
    expect(block?.block_id).toBe(APPROVAL_BLOCK_ID);
    const buttons = block?.type === 'actions' ? block.elements : [];
    expect(buttons.map((b) => [b.action_id, b.style, b.text.text])).toEqual([
      [APPROVE_ACTION_ID, 'primary', 'Approve'],
      [REJECT_ACTION_ID, 'danger', 'Reject'],
    ]);
    for (const b of buttons) {
      expect(parseApprovalButtonValue(b.value ?? '')).toEqual({
        releaseId: 'rel-payments-0001',
        environment: 'production',
      });
    }
    expect(allText(blocks)).toContain('<@U012ABCDEF>, @alice');
    expect(blockProblems(blocks)).toEqual([]);
  });

  it('approval_decided: buttons replaced by who decided and when', () => {
    const decidedAt = '2026-03-01T10:00:00.000Z';
    const approved = buildReleaseMessage({
      kind: 'approval_decided',
      environment: 'production',
      timeline: timeline({
        stages: [approvalStage('succeeded', { decision: 'approved', decidedBy: 'U012ABCDEF', decidedAt })],
      }),
    });
    expect(actions(approved.blocks)).toBeUndefined();
    const unix = Date.parse(decidedAt) / 1000;
    expect(allText(approved.blocks)).toContain(
      `Approved by <@U012ABCDEF> at <!date^${unix}^{date_short_pretty} {time}|${decidedAt}>`,
    );

    const rejected = buildReleaseMessage({
      kind: 'approval_decided',
      environment: 'production',
      timeline: timeline({
        status: 'rejected',
        stages: [approvalStage('failed', { decidedBy: 'U0BOB', decision: 'rejected' })],
      }),
    });
    expect(actions(rejected.blocks)).toBeUndefined();
    expect(allText(rejected.blocks)).toContain('Rejected by <@U0BOB>');
  });

  it('uses the keys the release workflow records', () => {
    const stages: StageRecord[] = [
      {
        kind: 'image',
        state: 'succeeded',
        details: {
          image: 'reg/acme/payments:0123456',
          pipelineId: 77,
          pipelineUrl: 'https://gl/p/77',
          pipelineStatus: 'success',
        },
      },
      approvalStage('running', { approvers: 'U0ALICE, bob' }),
      {
        kind: 'deploy',
        environment: 'production',
        state: 'succeeded',
        details: {
          previousImage: 'reg/acme/payments:old',
          infraCommit: 'f00dfeed12345678',
          health: 'Healthy',
          argocdUrl: 'https://argo/app',
        },
      },
      {
        kind: 'rollback',
        environment: 'production',
        state: 'failed',
        details: { from: 'reg/acme/payments:0123456', to: 'reg/acme/payments:old', error: 'sync failed' },
      },
      {
        kind: 'approval',
        environment: 'qa',
        state: 'failed',
        details: { expired: true },
        endedAt: '2026-03-01T10:00:00.000Z',
      },
    ];
    const text = allText(buildReleaseMessage({ kind: 'ended', timeline: timeline({ stages }) }).blocks);
    expect(text).toContain('<https://gl/p/77|Pipeline 77>: success');
    expect(text).toContain('Approvers: <@U0ALICE>, @bob');
    // A deploy stage without `image` shows the release's image from the image stage.
    expect(text).toContain('`reg/acme/payments:old` → `reg/acme/payments:0123456`');
    expect(text).toContain('Infra commit `f00dfeed`');
    expect(text).toContain('Health: Healthy  ·  <https://argo/app|Argo CD>');
    expect(text).toContain('`reg/acme/payments:0123456` → `reg/acme/payments:old`');
    expect(text).toContain(':warning: _sync failed_');
    expect(text).toContain(':alarm_clock: Approval expired at <!date^');
  });

  it('a failed image stage links its failed job', () => {
    const stages: StageRecord[] = [
      {
        kind: 'image',
        state: 'failed',
        details: { failedJob: 'build', failedJobUrl: 'https://gl/jobs/9', error: 'pipeline 77 failed' },
      },
    ];
    const text = allText(
      buildReleaseMessage({ kind: 'failed', timeline: timeline({ status: 'failed', stages }) }).blocks,
    );
    expect(text).toContain('Failed job <https://gl/jobs/9|build>');
  });

  it('failure messages render the job, Argo CD and logs links, and the error', () => {
    const links = {
      failedJob: 'https://gitlab.example.com/acme/payments/-/jobs/42',
      'argocd:staging': 'https://argocd.example.com/applications/payments-staging',
      logs: 'https://grafana.example.com/explore?a=1&b=2',
    };
    for (const kind of ['failed', 'rolled_back', 'rollback_failed'] as const) {
      const { blocks } = buildReleaseMessage({
        kind,
        timeline: timeline({ status: 'failed', error: 'health check failed: Degraded', links }),
      });
      const context = blocks.at(-1);
      const line = context?.type === 'context' ? context.elements[0]!.text : '';
      expect(line).toContain('<https://gitlab.example.com/acme/payments/-/jobs/42|Failed job>');
      expect(line).toContain('<https://argocd.example.com/applications/payments-staging|Argo CD (staging)>');
      expect(line).toContain('<https://grafana.example.com/explore?a=1&amp;b=2|Logs>');
      expect(allText(blocks)).toContain(':warning: health check failed: Degraded');
    }
  });

  it('succeeded links the merge request and project', () => {
    const { blocks } = buildReleaseMessage({
      kind: 'succeeded',
      timeline: timeline({
        status: 'succeeded',
        links: {
          project: 'https://gitlab.example.com/acme/payments',
          mergeRequest: 'https://gitlab.example.com/acme/payments/-/merge_requests/7',
        },
      }),
    });
    expect(blocks[0]?.type === 'header' && blocks[0].text.text).toMatch(/^:white_check_mark: payments/);
    const context = blocks.at(-1);
    expect(context?.type === 'context' && context.elements[0]!.text).toBe(
      '<https://gitlab.example.com/acme/payments/-/merge_requests/7|Merge request>  ·  <https://gitlab.example.com/acme/payments|Project>',
    );
  });

  it('escapes text so errors and details cannot mention @channel', () => {
    const n: ReleaseNotification = {
      kind: 'failed',
      detail: 'boom <!channel> & co',
      timeline: timeline({ status: 'failed', error: '<!here> broke' }),
    };
    expect(allText(buildReleaseMessage(n).blocks)).not.toContain('<!here>');
    expect(buildThreadReply(n)).toBe(':x: Release failed\nboom &lt;!channel&gt; &amp; co');
  });

  it('stays within 50 blocks however many stages there are', () => {
    const stages: StageRecord[] = Array.from({ length: 80 }, (_, i) => ({
      kind: 'deploy',
      environment: `env-${i}`,
      state: 'succeeded',
      details: {},
    }));
    const { blocks } = buildReleaseMessage({
      kind: 'ended',
      timeline: timeline({ stages, links: { logs: 'https://l' } }),
    });
    expect(blocks.length).toBe(50);
    expect(allText(blocks)).toContain('earlier stages not shown');
    expect(allText(blocks)).toContain('env-79');
    expect(blockProblems(blocks)).toEqual([]);
  });
});

describe('mention', () => {
  // Slack user ids are uppercase letters and digits: U… for users, W… for Enterprise Grid users.
  it.each(['U024BE7LH', 'U02UD2WE3HA', 'W012A3CDE', 'U0SANDBOXADMIN'])('writes %s as a Slack mention', (id) => {
    expect(mention(id)).toBe(`<@${id}>`);
  });

  it.each([
    ['U_SANDBOX_ADMIN', '@U_SANDBOX_ADMIN'],
    ['u024be7lh', '@u024be7lh'],
    ['C024BE7LH', '@C024BE7LH'],
    ['B024BE7LH', '@B024BE7LH'],
    ['U', '@U'],
    ['admin', '@admin'],
    ['<!channel>', '@&lt;!channel&gt;'],
  ])('writes %s (not a user id) as plain text', (user, text) => {
    expect(mention(user)).toBe(text);
  });
});

describe('escapeWithMentions', () => {
  it('mentions the recorded users by id, whole words only, and escapes the rest', () => {
    expect(escapeWithMentions('aborted by U0ALICE at step 2 <!here>', ['U0ALICE'])).toBe(
      'aborted by <@U0ALICE> at step 2 &lt;!here&gt;',
    );
    expect(escapeWithMentions('U0ALICEX and XU0ALICE stay', ['U0ALICE'])).toBe('U0ALICEX and XU0ALICE stay');
    // A username is no Slack id: left as written (mention() would write @bob, but the text already says bob).
    expect(escapeWithMentions('aborted by bob', ['bob', undefined])).toBe('aborted by bob');
  });

  it('a canary aborted by an approver: the ended stage and the error mention them, and it no longer waits', () => {
    const error = 'aborted by U0ALICE at canary step 4 of 5: 33 % (3 of 9 pods)';
    const canary: StageRecord = {
      kind: 'canary',
      environment: 'production',
      state: 'failed',
      details: { summary: error, error, commandBy: 'U0ALICE', steps: 'canary step 2 of 5: 11 % (1 of 9 pods)' },
    };
    // The deploy stage around the canary fails with the same words.
    const deploy: StageRecord = { kind: 'deploy', environment: 'production', state: 'failed', details: { error } };
    const { blocks } = buildReleaseMessage({
      kind: 'failed',
      timeline: timeline({ status: 'rolled_back', stages: [deploy, canary], error: `production: ${error}` }),
    });
    const text = allText(blocks);
    expect(text).toContain('aborted by <@U0ALICE> at canary step 4 of 5');
    expect(text.match(/aborted by <@U0ALICE>/g)).toHaveLength(3); // the deploy, the canary stage, the release's error
    expect(text).not.toMatch(/by U0ALICE/);
    expect(text).not.toContain('waiting for an approver');
    expect(text).not.toContain('runway_canary_abort');
  });
});

describe('approval button values', () => {
  it('rejects values Runway did not produce, and oversized ones', () => {
    expect(parseApprovalButtonValue('click_me_123')).toBeNull();
    expect(parseApprovalButtonValue('{"releaseId":1}')).toBeNull();
    expect(() => approvalButtonValue({ releaseId: 'x'.repeat(2000), environment: 'prod' })).toThrow(/2000/);
  });

  it('replaceApprovalActions swaps only the approval buttons', () => {
    const { blocks } = buildReleaseMessage({
      kind: 'approval_requested',
      environment: 'production',
      timeline: timeline({ status: 'awaiting_approval' }),
    });
    const replaced = replaceApprovalActions(blocks, 'Approved by <@U1>');
    expect(replaced).toHaveLength(blocks.length);
    expect(actions(replaced)).toBeUndefined();
    expect(allText(replaced)).toContain('Approved by <@U1>');
  });
});

describe('buildLogsUrl', () => {
  it('fills and URL-encodes the placeholders, leaving other braces alone', () => {
    const template =
      'https://grafana.example.com/explore?left={"queries":[{"expr":"{app=\\"{service}\\",env=\\"{environment}\\"}"}]}&from={from}&to={to}&again={service}';
    const url = buildLogsUrl(template, {
      service: 'pay ments',
      environment: 'prod/eu',
      from: new Date(1_700_000_000_000),
      to: 'now',
    });
    expect(url).toBe(
      'https://grafana.example.com/explore?left={"queries":[{"expr":"{app=\\"pay%20ments\\",env=\\"prod%2Feu\\"}"}]}&from=1700000000000&to=now&again=pay%20ments',
    );
  });

  it('also fills placeholders in an already-encoded template', () => {
    expect(
      buildLogsUrl('https://l/?q=%7Bservice%7D&t=%7bto%7d', { service: 's', environment: 'e', from: 1, to: 2 }),
    ).toBe('https://l/?q=s&t=2');
  });
});
