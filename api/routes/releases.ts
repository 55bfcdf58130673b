// The REST API: release status and actions.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { RELEASE_STATUSES } from '../../domain/types.js';
import { requireRole, type AuthVariables } from '../auth.js';
import type { ApiContext } from '../context.js';
import { statusUrl } from '../webhooks/gitlab.js';
import {
  DecisionSchema,
  errors,
  json,
  jsonBody,
  ReleaseIdParam,
  ReleaseSummarySchema,
  ServiceVersionsSchema,
  StartedSchema,
  TimelineSchema,
} from './schemas.js';

const security = [{ bearer: [] }];

export function registerReleaseRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  const api = app as unknown as OpenAPIHono<{ Variables: AuthVariables }>;
  const read = requireRole(ctx.config, 'read');
  const deploy = requireRole(ctx.config, 'deploy');
  const approve = requireRole(ctx.config, 'approve');

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/releases',
      summary: 'List releases (from Temporal visibility), newest first',
      security,
      middleware: [read] as const,
      request: {
        query: z.object({
          service: z.string().optional(),
          environment: z.string().optional(),
          status: z.enum(RELEASE_STATUSES).optional(),
          pageSize: z.coerce.number().int().min(1).max(100).optional(),
          pageToken: z.string().optional(),
        }),
      },
      responses: {
        200: json(
          z.object({ releases: z.array(ReleaseSummarySchema), nextPageToken: z.string().optional() }),
          'A page of releases',
        ),
        ...errors,
      },
    }),
    async (c) => c.json(await ctx.releases.list(c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/releases/{id}',
      summary: "A release's timeline",
      security,
      middleware: [read] as const,
      request: { params: ReleaseIdParam },
      responses: { 200: json(TimelineSchema, 'The timeline'), ...errors },
    }),
    async (c) => c.json(await ctx.releases.timeline(c.req.valid('param').id), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/releases',
      summary: 'Start a release of a service at a commit (idempotent per service + commit)',
      security,
      middleware: [deploy] as const,
      request: {
        body: jsonBody(
          z.object({
            service: z.string(),
            sha: z.string().regex(/^[0-9a-f]{7,64}$/i),
            ref: z.string().optional(),
          }),
        ),
      },
      responses: { 200: json(StartedSchema, 'Already exists'), 202: json(StartedSchema, 'Started'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const svc = ctx.config.services[body.service];
      const plan = ctx.releases.plan(body.service, {
        sha: body.sha,
        ref: body.ref ?? svc?.triggerBranches[0] ?? 'main',
        triggeredBy: c.get('caller').name,
      });
      const { created } = await ctx.releases.start(plan);
      return c.json(
        { releaseId: plan.releaseId, statusUrl: statusUrl(ctx, plan.releaseId), created },
        created ? 202 : 200,
      );
    },
  );

  for (const decision of ['approve', 'reject'] as const) {
    api.openapi(
      createRoute({
        method: 'post',
        path: `/api/releases/{id}/${decision}`,
        summary: `${decision === 'approve' ? 'Approve' : 'Reject'} the environment the release waits for (token name = approver)`,
        security,
        middleware: [approve] as const,
        request: {
          params: ReleaseIdParam,
          body: jsonBody(z.object({ environment: z.string(), comment: z.string().max(500).optional() })),
        },
        responses: { 200: json(DecisionSchema, 'Recorded'), ...errors },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const result = await ctx.releases.decide(c.req.valid('param').id, decision, {
          environment: body.environment,
          approver: c.get('caller').name,
          comment: body.comment,
        });
        return c.json(result, 200);
      },
    );
  }

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/releases/{id}/cancel',
      summary: 'Cancel a release (compensation still runs)',
      security,
      middleware: [deploy] as const,
      request: { params: ReleaseIdParam },
      responses: {
        202: json(z.object({ releaseId: z.string(), cancelling: z.literal(true) }), 'Cancellation requested'),
        ...errors,
      },
    }),
    async (c) => {
      const id = c.req.valid('param').id;
      await ctx.releases.cancel(id);
      return c.json({ releaseId: id, cancelling: true as const }, 202);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/services/{service}/environments/{environment}/rollback',
      summary:
        'Roll an environment back to an earlier version (default: the one before the current; or a tag, or the ' +
        'version a release deployed), as a workflow. Repeating it while it runs answers with the same rollback.',
      security,
      middleware: [deploy] as const,
      request: {
        params: z.object({ service: z.string(), environment: z.string() }),
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z.strictObject({
                tag: z.string().min(1).max(128).optional(),
                releaseId: z.string().min(1).max(300).optional(),
              }),
            },
          },
        },
      },
      responses: {
        202: json(
          z.object({ rollbackId: z.string(), image: z.string(), alreadyRunning: z.boolean(), statusUrl: z.string() }),
          'Rollback started (or already running)',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { service, environment } = c.req.valid('param');
      const target = (c.req.valid('json') as { tag?: string; releaseId?: string } | undefined) ?? {};
      const started = await ctx.releases.rollback(service, environment, c.get('caller').name, target);
      return c.json({ ...started, statusUrl: statusUrl(ctx, started.rollbackId) }, 202);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/services/{service}/environments/{environment}/history',
      summary: "The environment's successful deploys, newest first: the versions a rollback can go back to",
      security,
      middleware: [read] as const,
      request: { params: z.object({ service: z.string(), environment: z.string() }) },
      responses: {
        200: json(
          z.object({
            deploys: z.array(
              z.object({
                environment: z.string(),
                image: z.string(),
                previousImage: z.string().optional(),
                releaseId: z.string(),
                commit: z.string(),
                at: z.string(),
              }),
            ),
          }),
          'Deploy history',
        ),
        ...errors,
      },
    }),
    async (c) => {
      const { service, environment } = c.req.valid('param');
      return c.json({ deploys: await ctx.releases.environmentHistory(service, environment) }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/services',
      summary: 'The current version of every service, per environment',
      security,
      middleware: [read] as const,
      responses: { 200: json(z.object({ services: z.array(ServiceVersionsSchema) }), 'Current versions'), ...errors },
    }),
    async (c) => {
      const services = await Promise.all(
        Object.keys(ctx.config.services).map(async (service) => ({
          service,
          environments: (await ctx.releases.currentVersions(service)).map(({ service: _s, ...rest }) => rest),
        })),
      );
      return c.json({ services }, 200);
    },
  );
}
