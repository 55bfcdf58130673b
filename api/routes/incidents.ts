// The REST API for incidents between releases (docs/watch.md): list them, silence an environment.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requireRole, type AuthVariables } from '../auth.js';
import type { ApiContext } from '../context.js';
import { incidentService } from '../incidents.js';
import { changeRefusal, ForbiddenError } from '../permissions.js';
import { errors, json, jsonBody, NameSchema } from './schemas.js';

const security = [{ bearer: [] }];

const IncidentSchema = z
  .object({
    id: z.string(),
    service: z.string(),
    environment: z.string(),
    application: z.string(),
    instance: z.string(),
    kind: z.enum(['degraded', 'drift']),
    health: z.string().describe("Argo CD's status.health.status"),
    healthMessage: z.string().optional(),
    sync: z.string().describe("Argo CD's status.sync.status"),
    openedAt: z.string().describe('When the app turned bad (the incident opens after the grace period)'),
    recoveredAt: z.string().optional(),
    closedAt: z.string().optional(),
    closedReason: z.string().optional(),
    durationSeconds: z.number().optional().describe('Closed incidents: from openedAt to recoveredAt (MTTR sample)'),
    flaps: z.number().int(),
    silencedUntil: z.string().optional(),
    lastReleaseId: z.string().optional(),
    approvedBy: z.string().optional(),
    rollbackTo: z.string().optional(),
    message: z.object({ channel: z.string(), ts: z.string() }).optional(),
  })
  .openapi('Incident');

export function registerIncidentRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  const api = app as unknown as OpenAPIHono<{ Variables: AuthVariables }>;
  const read = requireRole(ctx.config, 'read');
  const deploy = requireRole(ctx.config, 'deploy');

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/incidents',
      operationId: 'listIncidents',
      tags: ['incidents'],
      summary: 'Open and recent incidents between releases (from the watchers, one per Argo CD instance)',
      security,
      middleware: [read] as const,
      responses: {
        200: json(
          z.object({
            open: z.array(IncidentSchema),
            recent: z.array(IncidentSchema),
            watchers: z.array(
              z.object({
                instance: z.string(),
                workflowId: z.string(),
                running: z.boolean(),
                outageSince: z.string().optional().describe('Argo CD unreachable since then: cannot watch'),
              }),
            ),
          }),
          'Incidents',
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await incidentService(ctx).list(), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/services/{service}/environments/{environment}/silence',
      operationId: 'silenceEnvironment',
      tags: ['incidents'],
      summary: 'No new incident for this environment for a while (default 1h, at most 7d)',
      security,
      middleware: [deploy] as const,
      request: {
        params: z.object({ service: NameSchema, environment: NameSchema }),
        body: jsonBody(z.object({ duration: z.string().max(16).optional().describe('e.g. 30m, 1h, 2d') })),
      },
      responses: {
        200: json(z.object({ until: z.string(), watcher: z.string() }), 'Silenced'),
        ...errors,
      },
    }),
    async (c) => {
      const { service, environment } = c.req.valid('param');
      const caller = c.get('caller').name;
      const refusal = changeRefusal(ctx.config, service, environment, caller, 'rest');
      if (refusal) throw new ForbiddenError(refusal);
      const body = (c.req.valid('json') as { duration?: string } | undefined) ?? {};
      return c.json(await incidentService(ctx).silence(service, environment, caller, body.duration ?? '1h'), 200);
    },
  );
}
