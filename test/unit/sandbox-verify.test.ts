// The sandbox demonstrates verification: its staging smoke check passes for any commit and fails for `dead…`.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { evaluateChecks } from '../../activities/verify.js';
import { loadConfig } from '../../config/load.js';
import { buildReleasePlan } from '../../config/plan.js';
import { SANDBOX_CONFIG_PATH } from '../../config/runtime.js';
import { registerSmokeRoute } from '../../sandbox/smoke.js';

describe('sandbox verification', () => {
  const config = loadConfig(SANDBOX_CONFIG_PATH, {});
  const app = new Hono();
  registerSmokeRoute(app);
  // The check's URL points at the API; here the sandbox routes answer in-process.
  const viaApp: typeof fetch = async (input) => {
    const url = new URL(input instanceof Request ? input.url : input instanceof URL ? input.href : input);
    return app.request(url.pathname.replace(/^\/sandbox/, ''));
  };

  it.each([
    ['0123456789abcdef0123456789abcdef01234567', 'pass'],
    ['dead0123456789abcdef0123456789abcdef0123', 'fail'],
  ])('commit %s: smoke %s', async (sha, outcome) => {
    const plan = buildReleasePlan(config, 'hello', { sha, ref: 'main' });
    const verify = plan.environments.find((e) => e.name === 'staging')!.verify!;
    expect(verify.checks[0]!.http!.url).toBe(`http://127.0.0.1:8080/sandbox/smoke/hello/staging/${sha}`);
    const [result] = await evaluateChecks({ fetch: viaApp }, { checks: verify.checks });
    expect(result!.outcome).toBe(outcome);
  });
});
