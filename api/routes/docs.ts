// A person's way in: a small landing page at `/` and the OpenAPI UI (Swagger UI) at /api/docs. Swagger UI's
// files are served from the swagger-ui-dist package, not a CDN, so the docs work on an air-gapped network.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { swaggerUI } from '@hono/swagger-ui';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiContext } from '../context.js';

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};
const distDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

export interface DocsOptions {
  /** Shown on the landing page when the sandbox runs (its Slack stand-in page). */
  sandbox?: boolean;
}

export function registerDocsRoutes(app: OpenAPIHono, ctx: ApiContext, options: DocsOptions = {}): void {
  // Relative URLs, so the page also works behind a proxy that mounts Runway under a path.
  app.get(
    '/api/docs',
    swaggerUI({
      url: 'openapi.json',
      baseUrl: 'docs/assets',
      title: 'Runway API',
      persistAuthorization: true,
      docExpansion: 'list',
      tryItOutEnabled: false,
    }),
  );
  app.get('/api/docs/', (c) => c.redirect('/api/docs'));
  app.get('/api/docs/assets/swagger-ui-dist/:file', async (c) => {
    const file = c.req.param('file');
    const type = ASSETS[file];
    if (!type) return c.notFound();
    c.header('Content-Type', type);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(await readFile(path.join(distDir, file)));
  });
  app.get('/', (c) => c.html(landing(ctx, options)));
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function landing(ctx: ApiContext, options: DocsOptions): string {
  const services = Object.keys(ctx.config.services);
  const links: [string, string, string][] = [
    ['/api/docs', 'API documentation', 'every endpoint, with a bearer token box to try them'],
    ['/api/releases', 'Releases', 'GET with a read token: recent releases, filter by ?service='],
    ['/api/openapi.json', 'OpenAPI document', 'for clients and code generators'],
    ['/metrics', 'Metrics', 'Prometheus exposition'],
    ['/readyz', 'Readiness', 'whether Temporal answers'],
  ];
  if (options.sandbox)
    links.unshift(['/sandbox/slack', 'Sandbox Slack', 'the stand-in channel: approve releases here']);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Runway</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
h1{margin-bottom:.2rem}p.lead{color:#59636e;margin-top:0}ul{padding:0;list-style:none}
li{margin:.6rem 0}a{color:#0969da;font-weight:600;text-decoration:none}a:hover{text-decoration:underline}
span{color:#59636e}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}
</style></head><body>
<h1>Runway</h1>
<p class="lead">GitOps releases on Temporal: merge in GitLab, bump the infra repo, sync Argo CD, approve in Slack.</p>
<p>Services: ${services.map((s) => `<code>${escape(s)}</code>`).join(', ') || '<em>none configured</em>'}</p>
<ul>
${links.map(([href, label, what]) => `<li><a href="${href}">${label}</a> <span>— ${what}</span></li>`).join('\n')}
</ul>
<p><span>GitLab webhooks go to <code>POST /webhooks/gitlab</code>; Slack interactivity to <code>/slack/interactions</code>.</span></p>
</body></html>`;
}
