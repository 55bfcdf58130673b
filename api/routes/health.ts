// Liveness (the process answers) and readiness (Temporal is reachable, checked with a short deadline so a dead
// server makes /readyz red within a second instead of hanging the probe).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiContext } from '../context.js';

export function registerHealthRoutes(app: OpenAPIHono, ctx: ApiContext): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const up = await ctx.releases.temporal.probe();
    if (up) return c.json({ status: 'ready', temporal: 'reachable' });
    c.header('Retry-After', '5');
    return c.json({ status: 'not_ready', temporal: ctx.releases.temporal.lastProblem }, 503);
  });
}
