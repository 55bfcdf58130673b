// The sandbox's smoke endpoint for verification (config/sandbox.yaml `verify.checks[].http`): healthy for
// every release except commits starting with `dead`, which deploy Healthy in Argo CD but fail their smoke
// check, so the sandbox shows a verification rollback next to a verified release.
import type { Hono } from 'hono';

export function registerSmokeRoute(app: Hono): void {
  app.get('/smoke/:service/:environment/:sha', (c) =>
    c.req.param('sha').startsWith('dead') ? c.text('smoke test failed: 5xx from /checkout', 503) : c.text('ok'),
  );
}
