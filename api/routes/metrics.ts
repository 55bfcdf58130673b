// GET /metrics (Prometheus, no auth, like most exporters) and GET /api/metrics/dora (role read).
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { parseDuration } from '../../config/duration.js';
import { findService, type RunwayConfig } from '../../config/schema.js';
import { doraGaugeRegistry } from '../../platform/dora-gauges.js';
import { DoraSource } from '../../platform/dora-source.js';
import { joinExpositions, METRICS_CONTENT_TYPE, metricsRegistry } from '../../platform/metrics.js';
import { requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { HttpError } from '../errors.js';
import { NotFoundError } from '../release-service.js';
import { DoraReportSchema, errors, json, NameSchema } from './schemas.js';

const MAX_WINDOW_MS = parseDuration('366d');

export interface MetricsRouteOptions {
  /** More exposition text for /metrics, e.g. the Temporal SDK's when the worker shares the process. */
  extraMetrics?: () => Promise<string>;
}

/** Production is the last environment of each service. */
export function productionEnvironments(config: RunwayConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.services).flatMap(([name, s]) => {
      const last = s.environments.at(-1)?.name;
      return last ? [[name, last]] : [];
    }),
  );
}

export function registerMetricsRoutes(app: OpenAPIHono, ctx: ApiContext, options: MetricsRouteOptions = {}): void {
  const dora = new DoraSource({
    reader: ctx.releases,
    production: productionEnvironments(ctx.config),
    logger: ctx.logger,
  });
  const gauges = doraGaugeRegistry(dora, parseDuration(process.env.RUNWAY_DORA_WINDOW ?? '30d'), ctx.logger);

  app.get('/metrics', async (c) => {
    const parts = await Promise.all([metricsRegistry().metrics(), gauges.metrics(), options.extraMetrics?.() ?? '']);
    return c.body(joinExpositions(parts), 200, { 'content-type': METRICS_CONTENT_TYPE });
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/metrics/dora',
      operationId: 'getDoraMetrics',
      tags: ['metrics'],
      summary: 'DORA four keys over a window, for one service or all (production = its last environment)',
      security: [{ bearer: [] }],
      middleware: [requireRole(ctx.config, 'read')] as const,
      request: {
        query: z.object({
          service: NameSchema.optional(),
          window: z
            .string()
            .regex(/^\d+(h|d)$/, 'a duration in hours or days, e.g. 7d')
            .optional()
            .openapi({ example: '30d' }),
        }),
      },
      responses: { 200: json(DoraReportSchema, 'The four keys'), ...errors },
    }),
    async (c) => {
      const { service, window = '30d' } = c.req.valid('query');
      if (service && !findService(ctx.config, service))
        throw new NotFoundError(`unknown service "${service.slice(0, 100)}"`);
      const windowMs = parseDuration(window);
      if (windowMs <= 0 || windowMs > MAX_WINDOW_MS) throw new HttpError(400, 'invalid_request', 'window: 1h to 366d');
      const report = await dora.report(service, windowMs);
      return c.json({ ...report, window }, 200);
    },
  );
}
