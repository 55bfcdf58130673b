// What the Slack listeners need, narrowed to the calls they make so unit tests can stand in for Temporal.
import type { Logger } from 'pino';
import type { SlackApi } from '../../integrations/slack.js';
import type { RunwayConfig } from '../../config/schema.js';
import type { ReleaseService } from '../release-service.js';

export interface SlackDeps {
  config: RunwayConfig;
  releases: Pick<ReleaseService, 'decide' | 'awaitingApproval' | 'list' | 'currentVersions' | 'rollback'>;
  slack: Pick<SlackApi, 'postEphemeral' | 'updateMessage'>;
  logger: Logger;
}

/** Error fields worth logging; never the whole object, which may carry request options. */
export function errFields(err: unknown): { name: string; message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
}
