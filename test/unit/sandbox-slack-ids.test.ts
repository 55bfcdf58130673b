// The sandbox's users must look like real Slack users: Slack writes `<@U…>` for an id, and `mention()` only
// does so for ids of Slack's form, so an id like `U_ADMIN` would show as "@U_ADMIN" in every message.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { buildReleasePlan } from '../../config/plan.js';
import { SANDBOX_CONFIG_PATH } from '../../config/runtime.js';
import { mention } from '../../integrations/slack-blocks.js';
import { SANDBOX_USERS } from '../../sandbox/slack-page.js';

describe('sandbox Slack users', () => {
  it.each(SANDBOX_USERS.map((u) => [u.id]))('%s is a Slack user id, so messages mention it', (id) => {
    expect(mention(id)).toBe(`<@${id}>`);
  });

  it('the sandbox config names the admin by its Slack id (approvers, deployers)', () => {
    const config = loadConfig(SANDBOX_CONFIG_PATH, {});
    const plan = buildReleasePlan(config, 'hello', { sha: '0123456789abcdef0123456789abcdef01234567', ref: 'main' });
    const admin = SANDBOX_USERS.find((u) => u.username === 'admin')!.id;
    const production = plan.environments.find((e) => e.name === 'production')!;
    expect(production.approval?.approvers).toContain(admin);
    expect(production.approval!.approvers.map(mention)).toContain(`<@${admin}>`);
  });
});
