// Liveness (the process answers) and readiness (Temporal is reachable).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiContext } from '../context.js';

export function registerHealthRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await ctx.client.workflowService.getSystemInfo({});
      return c.json({ status: 'ready', temporal: 'reachable' });
    } catch (err) {
      return c.json({ status: 'not_ready', temporal: (err as Error).message }, 503);
    }
  });
}
