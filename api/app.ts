// The HTTP front door: GitLab webhooks, Slack interactivity, the REST API, health and OpenAPI.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { ApiContext } from './context.js';
import { errorBody, sendError } from './errors.js';
import { gitlabWebhookRoutes } from './webhooks/gitlab.js';
import { registerReleaseRoutes } from './routes/releases.js';
import { registerDeployRoutes } from './routes/deploy.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { observeRequests, requestReleaseFields } from '../platform/http-observability.js';
import { errorFields } from '../platform/scrub.js';

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
    const status = (err as { status?: number }).status;
    if (!status || status >= 500)
      ctx.logger.error({ ...requestReleaseFields(c), err: errorFields(err), path: c.req.path }, 'request failed');
    return sendError(c, err);
  });
  app.notFound((c) => c.json(errorBody('not_found', `no route ${c.req.method} ${c.req.path}`), 404));

  app.use('*', observeRequests(ctx.logger)); // first, so it times and logs every route below
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
  return app;
}
