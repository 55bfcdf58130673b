// REST routes of the deploy bot: on-demand deploys of any built version, and runtime freezes.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requireRole, type AuthVariables } from '../auth.js';
import type { ApiContext } from '../context.js';
import { DeployService } from '../deploy-service.js';
import { HttpError } from '../errors.js';
import { deployRefusal } from '../permissions.js';
import { statusUrl } from '../webhooks/gitlab.js';
import { ErrorSchema, errors, json, jsonBody, NameSchema } from './schemas.js';

const security = [{ bearer: [] }];

const FreezeSchema = z
  .object({
    environment: z.string(),
    reason: z.string(),
    by: z.string(),
    at: z.string(),
    until: z.string().optional(),
  })
  .openapi('Freeze');

const services = new WeakMap<ApiContext, DeployService>();
/** One DeployService per API context (built on first use, so existing contexts need no new field). */
export function deployService(ctx: ApiContext): DeployService {
  let service = services.get(ctx);
  if (!service) {
    service = new DeployService(ctx.client, ctx.config, ctx.releases, ctx.publicUrl);
    services.set(ctx, service);
  }
  return service;
}

export function registerDeployRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  const api = app as unknown as OpenAPIHono<{ Variables: AuthVariables }>;
  const read = requireRole(ctx.config, 'read');
  const deploy = requireRole(ctx.config, 'deploy');
  const approve = requireRole(ctx.config, 'approve');

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/services/{service}/deploy',
      operationId: 'deployService',
      tags: ['deploys'],
      summary:
        'Deploy any built version (commit sha, tag) through the same stages and gates; `force` (approvers only) passes closed windows',
      security,
      middleware: [deploy] as const,
      request: {
        params: z.object({ service: NameSchema }),
        body: jsonBody(
          z.object({
            version: z.string().min(1).max(200).describe('Full commit sha, or a tag / short sha GitLab resolves'),
            environment: NameSchema.optional().describe('Only this environment; default: all, in order'),
            force: z.object({ reason: z.string().min(3).max(500) }).optional(),
            requestId: z
              .string()
              .regex(/^[\w.-]{1,64}$/)
              .optional()
              .describe('Idempotency key: the same key is the same deploy'),
          }),
        ),
      },
      responses: {
        200: json(DeployStartedSchema(), 'Already started (same requestId)'),
        202: json(DeployStartedSchema(), 'Started'),
        ...errors,
        503: json(ErrorSchema, 'Temporal is unreachable, or GitLab could not resolve the version (Retry-After)'),
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const caller = c.get('caller');
      if (body.force && !caller.roles.includes('approve')) {
        throw new HttpError(403, 'forbidden', 'forcing a deploy needs the "approve" role');
      }
      const service = c.req.valid('param').service;
      const refusal = deployRefusal(
        ctx.config,
        service,
        body.environment ? [body.environment] : undefined,
        caller.name,
        'rest',
      );
      if (refusal) throw new HttpError(403, 'forbidden', refusal);
      const started = await deployService(ctx).deploy({
        service,
        version: body.version,
        environment: body.environment,
        by: caller.name,
        force: body.force,
        requestId: body.requestId,
      });
      return c.json({ ...started, statusUrl: statusUrl(ctx, started.releaseId) }, started.created ? 202 : 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/freezes',
      operationId: 'listFreezes',
      tags: ['freezes'],
      summary: 'Runtime freezes in force (planned freezes are in runway.yaml)',
      security,
      middleware: [read] as const,
      responses: { 200: json(z.object({ freezes: z.array(FreezeSchema) }), 'Freezes'), ...errors },
    }),
    async (c) => c.json({ freezes: await deployService(ctx).freezes() }, 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/environments/{environment}/freeze',
      operationId: 'freezeEnvironment',
      tags: ['freezes'],
      summary: 'Freeze an environment (every service): releases reaching it wait, status queued',
      security,
      middleware: [approve] as const,
      request: {
        params: z.object({ environment: NameSchema }),
        body: jsonBody(
          z.object({
            reason: z.string().max(500).optional(),
            until: z.string().optional().describe('ISO date-time; default: until unfrozen'),
          }),
        ),
      },
      responses: { 200: json(FreezeSchema, 'Frozen'), ...errors },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const freeze = await deployService(ctx).freeze({
        environment: c.req.valid('param').environment,
        by: c.get('caller').name,
        reason: body.reason,
        until: body.until,
      });
      return c.json(freeze, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/environments/{environment}/freeze',
      operationId: 'unfreezeEnvironment',
      tags: ['freezes'],
      summary: 'Lift the runtime freeze of an environment; queued releases go within their recheck interval',
      security,
      middleware: [approve] as const,
      request: { params: z.object({ environment: NameSchema }) },
      responses: {
        200: json(z.object({ environment: z.string(), wasFrozen: z.boolean() }), 'Unfrozen'),
        ...errors,
      },
    }),
    async (c) => {
      const result = await deployService(ctx).unfreeze({
        environment: c.req.valid('param').environment,
        by: c.get('caller').name,
      });
      return c.json(result, 200);
    },
  );
}

function DeployStartedSchema() {
  return z
    .object({
      releaseId: z.string(),
      sha: z.string(),
      environments: z.array(z.string()),
      created: z.boolean(),
      statusUrl: z.string(),
    })
    .openapi('DeployStarted');
}
