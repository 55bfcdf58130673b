// REST for a running canary: promote it to its next step (or fully) or abort it. Role `approve`, and the token
// name must be one of the environment's approvers (else its deployers) in runway.yaml; the workflow checks again
// and records who asked in the timeline's actions.
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requireRole, type AuthVariables } from '../auth.js';
import { CanaryService, canaryRefusal } from '../canary-service.js';
import type { ApiContext } from '../context.js';
import { releaseIdService } from '../../domain/ids.js';
import { ForbiddenError } from '../permissions.js';
import { NotFoundError } from '../release-service.js';
import { errors, json, jsonBody, NameSchema, ReleaseIdParam } from './schemas.js';

const security = [{ bearer: [] }];

const CanaryCommandSchema = z
  .object({
    environment: z.string(),
    action: z.enum(['promote', 'promote-full', 'abort']),
    by: z.string(),
    step: z.string().openapi({ example: 'canary step 2 of 5: 33 % (3 of 9 pods)' }),
  })
  .openapi('CanaryCommand');

export function registerCanaryRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  const api = app as unknown as OpenAPIHono<{ Variables: AuthVariables }>;
  const approve = requireRole(ctx.config, 'approve');
  const canary = new CanaryService(ctx.client, ctx.config, ctx.releases);

  for (const verb of ['promote', 'abort'] as const) {
    api.openapi(
      createRoute({
        method: 'post',
        path: `/api/releases/{id}/${verb}`,
        operationId: verb === 'promote' ? 'promoteCanary' : 'abortCanary',
        tags: ['releases'],
        summary:
          verb === 'promote'
            ? 'Promote the running canary to its next step (full: all the way)'
            : 'Abort the running canary (all traffic back to stable; the bump is reverted)',
        security,
        middleware: [approve] as const,
        request: {
          params: ReleaseIdParam,
          body: jsonBody(
            verb === 'promote'
              ? z.object({ environment: NameSchema, full: z.boolean().optional() })
              : z.object({ environment: NameSchema }),
          ),
        },
        responses: { 200: json(CanaryCommandSchema, 'Recorded'), ...errors },
      }),
      async (c) => {
        const body = c.req.valid('json') as { environment: string; full?: boolean };
        const id = c.req.valid('param').id;
        const caller = c.get('caller').name;
        const service = releaseIdService(id);
        if (!service) throw new NotFoundError(`no release ${id.slice(0, 200)}`);
        const refusal = canaryRefusal(ctx.config, service, body.environment, caller);
        if (refusal) throw new ForbiddenError(refusal);
        const action = verb === 'abort' ? 'abort' : body.full ? 'promote-full' : 'promote';
        const result = await canary.command(id, { environment: body.environment, by: caller, action });
        return c.json(result, 200);
      },
    );
  }
}
