// The REST API: release status and actions.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { RELEASE_STATUSES } from '../../domain/types.js';
import { requireRole, type AuthVariables } from '../auth.js';
import type { ApiContext } from '../context.js';
import { findService } from '../../config/schema.js';
import { releaseIdService } from '../../domain/ids.js';
import { changeRefusal, ForbiddenError } from '../permissions.js';
import { statusUrl } from '../webhooks/gitlab.js';
import {
  CommitShaSchema,
  DecisionSchema,
  PendingDecisionSchema,
  errors,
  json,
  jsonBody,
  ReleaseIdParam,
  NameSchema,
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
      operationId: 'listReleases',
      tags: ['releases'],
      summary: 'List releases (from Temporal visibility), newest first',
      security,
      middleware: [read] as const,
      request: {
        query: z.object({
          service: NameSchema.optional(),
          environment: NameSchema.optional(),
          status: z.enum(RELEASE_STATUSES).optional(),
          pageSize: z.coerce.number().int().min(1).max(100).optional(),
          pageToken: z
            .string()
            .max(4096)
            .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'a nextPageToken from a previous page')
            .optional(),
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
      operationId: 'getRelease',
      tags: ['releases'],
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
      operationId: 'startRelease',
      tags: ['releases'],
      summary: 'Start a release of a service at a commit (idempotent per service + commit)',
      security,
      middleware: [deploy] as const,
      request: {
        body: jsonBody(
          z.object({
            service: NameSchema,
            sha: CommitShaSchema,
            ref: z
              .string()
              .min(1)
              .max(255)
              // git check-ref-format: no space, control character (refused by the range below), ~ ^ : ? * [ or \
              .regex(/^[!-~]+$/, 'a branch name')
              .refine((ref) => !/[~^:?*[\\]|\.\.|@\{/.test(ref), 'a branch name')
              .optional(),
          }),
        ),
      },
      responses: { 200: json(StartedSchema, 'Already exists'), 202: json(StartedSchema, 'Started'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const svc = findService(ctx.config, body.service);
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
        operationId: `${decision}Release`,
        tags: ['releases'],
        summary: `${decision === 'approve' ? 'Approve' : 'Reject'} the environment the release waits for (token name = approver)`,
        security,
        middleware: [approve] as const,
        request: {
          params: ReleaseIdParam,
          body: jsonBody(z.object({ environment: NameSchema, comment: z.string().max(500).optional() })),
        },
        responses: {
          200: json(DecisionSchema, 'Recorded'),
          202: json(PendingDecisionSchema, 'Handed to the release; its worker is busy and has not answered yet'),
          ...errors,
        },
      }),
      async (c) => {
        const body = c.req.valid('json');
        const id = c.req.valid('param').id;
        const caller = c.get('caller').name;
        // The same check as Slack's, from runway.yaml; the workflow checks the release's own list again.
        const service = releaseIdService(id);
        const gated = service
          ? findService(ctx.config, service)?.environments.find((e) => e.name === body.environment)
          : undefined;
        if (gated?.approval && !gated.approval.approvers.includes(caller)) {
          throw new ForbiddenError(`${caller} is not an approver of ${service} in ${body.environment}`);
        }
        const result = await ctx.releases.decide(id, decision, {
          environment: body.environment,
          approver: caller,
          comment: body.comment,
        });
        if ('pending' in result) {
          return c.json({ ...result, statusUrl: `/api/releases/${encodeURIComponent(id)}` }, 202);
        }
        return c.json(result, 200);
      },
    );
  }

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/releases/{id}/cancel',
      operationId: 'cancelRelease',
      tags: ['releases'],
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
      await ctx.releases.cancel(id, c.get('caller').name);
      return c.json({ releaseId: id, cancelling: true as const }, 202);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/services/{service}/environments/{environment}/rollback',
      operationId: 'rollbackEnvironment',
      tags: ['environments'],
      summary:
        'Roll an environment back to an earlier version (default: the one before the current; or a tag, or the ' +
        'version a release deployed), as a workflow. Repeating it while it runs answers with the same rollback.',
      security,
      middleware: [deploy] as const,
      request: {
        params: z.object({ service: NameSchema, environment: NameSchema }),
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
      const caller = c.get('caller').name;
      const refusal = changeRefusal(ctx.config, service, environment, caller, 'rest');
      if (refusal) throw new ForbiddenError(refusal);
      const target = (c.req.valid('json') as { tag?: string; releaseId?: string } | undefined) ?? {};
      const started = await ctx.releases.rollback(service, environment, caller, target);
      return c.json({ ...started, statusUrl: statusUrl(ctx, started.rollbackId) }, 202);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/services/{service}/environments/{environment}/history',
      operationId: 'getEnvironmentHistory',
      tags: ['environments'],
      summary: "The environment's successful deploys, newest first: the versions a rollback can go back to",
      security,
      middleware: [read] as const,
      request: { params: z.object({ service: NameSchema, environment: NameSchema }) },
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
      operationId: 'listServices',
      tags: ['environments'],
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
