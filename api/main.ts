// The Runway API process: webhooks, Slack, REST. Workers run separately (worker/main.ts); `make dev`
// runs both in one process (scripts/dev-runway.ts).
import { Client } from '@temporalio/client';
import { ConfigError } from '../config/load.js';
import { apiStartupWarnings } from '../config/requirements.js';
import { loadProductionConfig } from '../config/runtime.js';
import { createLogger } from '../platform/logger.js';
import { createApp } from './app.js';
import { ReleaseService } from './release-service.js';
import { listen } from './server.js';
import { TemporalAvailability } from './temporal-availability.js';
import { apiConnection } from './temporal-connection.js';
import { startMergeReconciler } from './reconcile/start.js';
import { createSlackRoutes } from './slack/routes.js';

const log = createLogger('runway-api');

async function main(): Promise<void> {
  // Never the sandbox: its config carries a public API token (sandbox-token).
  const { config, path } = loadProductionConfig();
  for (const warning of apiStartupWarnings(config)) log.warn(warning);
  const connection = apiConnection(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const publicUrl = process.env.RUNWAY_PUBLIC_URL ?? `http://${config.server.host}:${config.server.port}`;
  const releases = new ReleaseService(client, config, new TemporalAvailability(client, log));
  const ctx = { config, client, releases, logger: log, publicUrl };
  const app = createApp(ctx, { slack: await createSlackRoutes(ctx) });
  const server = await listen(app, config.server);
  const reconciler = startMergeReconciler(ctx);
  log.info({ url: server.url, config: path }, 'runway api listening');
  const stop = () => {
    reconciler?.stop();
    void server.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  // A config problem is for a person: every problem as plain lines on stderr, not one JSON string.
  if (err instanceof ConfigError) {
    process.stderr.write(`\nrunway cannot start: ${err.message}\n\n`);
    process.exit(1);
  }
  log.error(
    { err: err instanceof Error ? { name: err.name, message: err.message } : String(err) },
    'api failed to start',
  );
  process.exit(1);
});
