// The HTTP front door: GitLab webhooks, Slack interactivity, the REST API, health and OpenAPI.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiContext } from './context.js';
import { errorBody, sendError, toHttpError } from './errors.js';
import { gitlabWebhookRoutes, WEBHOOK_BODY_LIMIT } from './webhooks/gitlab.js';
import { registerReleaseRoutes } from './routes/releases.js';
import { registerDeployRoutes } from './routes/deploy.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerDocsRoutes } from './routes/docs.js';
import { observeRequests, requestReleaseFields } from '../platform/http-observability.js';
import { errorFields } from '../platform/scrub.js';
import { documentPlainRoutes } from './routes/plain-routes-doc.js';

/** REST bodies are a few hundred bytes; 64 KiB leaves room for comments. */
export const API_BODY_LIMIT = 64 * 1024;
/** Slack interaction payloads carry the whole message (up to 50 blocks); Slack's own requests stay far below. */
export const SLACK_BODY_LIMIT = 1024 * 1024;

export interface AppPlugins {
  /** Mounted at /slack (interactions and slash commands), when Slack is configured. */
  slack?: Hono;
  /** Mounted at /sandbox (the Slack stand-in page), in sandbox mode only. */
  sandbox?: Hono;
  /** Appended to GET /metrics: the Temporal SDK's metrics when the worker runs in this process (`make dev`). */
  extraMetrics?: () => Promise<string>;
}

export function createApp(ctx: ApiContext, plugins: AppPlugins = {}): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) {
        const message = result.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
        return c.json(errorBody('invalid_request', message), 400);
      }
    },
  });
  app.onError((err, c) => {
    // Only Runway's own faults are errors; a client's mistake is info, an unreachable Temporal a warning.
    const { status } = toHttpError(err);
    const fields = { ...requestReleaseFields(c), err: errorFields(err), path: c.req.path, status };
    if (status === 503) ctx.logger.warn(fields, 'request refused: temporal unavailable');
    else if (status >= 500) ctx.logger.error(fields, 'request failed');
    else ctx.logger.info(fields, 'request refused');
    return sendError(c, err);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path.slice(0, 200)}`), 404));

  app.use('*', observeRequests(ctx.logger)); // first, so it times and logs every route below
  // Body limits from Content-Length before anything reads the body (chunked bodies are cut off while read).
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      // The unread rest of the body makes the connection unusable: tell the client not to reuse it.
      onError: (c) => {
        c.header('Connection', 'close');
        return c.json(errorBody('payload_too_large', `request body over ${maxSize} bytes`), 413);
      },
    });
  app.use('/api/*', limit(API_BODY_LIMIT));
  app.use('/slack/*', limit(SLACK_BODY_LIMIT));
  app.use('/webhooks/*', limit(WEBHOOK_BODY_LIMIT));
  app.use('/sandbox/*', limit(API_BODY_LIMIT));
  // Routes that need Temporal answer 503 within REQUEST_DEADLINE_MS (at once while it is known to be down):
  // every call goes through ctx.releases.temporal, after authentication, so a caller without a token still
  // hears 401.
  registerHealthRoutes(app, ctx);
  registerMetricsRoutes(app, ctx, { extraMetrics: plugins.extraMetrics });
  app.route('/webhooks', gitlabWebhookRoutes(ctx));
  registerReleaseRoutes(app, ctx);
  registerDeployRoutes(app, ctx);
  if (plugins.slack) app.route('/slack', plugins.slack);
  if (plugins.sandbox) app.route('/sandbox', plugins.sandbox);

  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Runway API',
      version: '1',
      description: 'Release status and actions. Bearer tokens with roles read, deploy, approve.',
    },
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  documentPlainRoutes(app, { slack: !!plugins.slack });
  registerDocsRoutes(app, ctx, { sandbox: !!plugins.sandbox });
  return app;
}
