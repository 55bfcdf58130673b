// The /slack sub-app: Bolt behind Hono, with the approval buttons and the `/runway` command.
import { CanaryService } from '../canary-service.js';
import { registerCanaryActions, type CanaryDeps } from './canary-commands.js';
import { App } from '@slack/bolt';
import { Hono } from 'hono';
import { createSlackApi } from '../../integrations/slack.js';
import type { ApiContext } from '../context.js';
import { registerApprovalActions } from './actions.js';
import { boltLogger } from './bolt-logger.js';
import { registerRunwayCommand } from './commands.js';
import { errFields } from './deps.js';
import type { DeployCommandDeps } from './deploy-commands.js';
import type { IncidentCommandDeps } from './incident-commands.js';
import { deployService } from '../routes/deploy.js';
import { HonoReceiver } from './hono-receiver.js';
import { incidentService } from '../incidents.js';
import { registerIncidentActions } from './incident-actions.js';

export interface SlackRouteOptions {
  /** Clock for the signature replay window. */
  now?: () => number;
  /** See HonoReceiverOptions.ackTimeoutMs. */
  ackTimeoutMs?: number;
  /** See CommandOptions.ackWindowMs. */
  commandAckWindowMs?: number;
}

/** Undefined when Slack is not configured to send us requests (no signing secret). */
export async function createSlackRoutes(ctx: ApiContext, options: SlackRouteOptions = {}): Promise<Hono | undefined> {
  const slackConfig = ctx.config.slack;
  if (!slackConfig?.signingSecret) return undefined;
  const logger = ctx.logger.child({ component: 'slack' });
  const receiver = new HonoReceiver({
    signingSecret: slackConfig.signingSecret,
    logger,
    now: options.now,
    ackTimeoutMs: options.ackTimeoutMs,
  });
  const botToken = slackConfig.botToken;
  const app = new App({
    // One workspace and a known token: a fixed authorize never calls auth.test, at startup or per request
    // (Bolt's `token` option calls it on every event when tokenVerificationEnabled is false).
    authorize: async () => ({ botToken }),
    receiver,
    logger: boltLogger(logger),
    clientOptions: slackConfig.apiUrl ? { slackApiUrl: slackConfig.apiUrl } : undefined,
    ignoreSelf: false,
    convoStore: false,
  });
  app.error(async (error) => {
    logger.error({ err: errFields(error) }, 'slack listener failed');
  });

  const deps: DeployCommandDeps & CanaryDeps & IncidentCommandDeps = {
    config: ctx.config,
    incidents: incidentService(ctx),
    releases: ctx.releases,
    deploys: deployService(ctx),
    canary: new CanaryService(ctx.client, ctx.config, ctx.releases),
    // Our own wrapper: bounded retries and token redaction, like the notifier's.
    slack: createSlackApi({ token: botToken, apiUrl: slackConfig.apiUrl, logger, maxAttempts: 3 }),
    logger,
  };
  registerApprovalActions(app, deps);
  registerCanaryActions(app, deps);
  registerIncidentActions(app, deps);
  registerRunwayCommand(app, deps, { ackWindowMs: options.commandAckWindowMs });

  const routes = new Hono();
  routes.post('/interactions', (c) => receiver.handle(c));
  routes.post('/commands', (c) => receiver.handle(c));
  return routes;
}
