// The OpenAPI document says what the API does: every registered route is in it with an operationId and a tag,
// the 413 and 503 the API really sends are declared, the name pattern it states is the one it checks, and
// docs/api.md lists every route.
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { NAME_PATTERN } from '../../domain/ids.js';
import { appWithoutTemporal, MINIMAL_CONFIG } from '../support/docs-app.js';

interface Operation {
  operationId?: string;
  tags?: string[];
  security?: unknown[];
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string; schema: { pattern?: string } }[];
}

const slack = new Hono();
slack.post('/commands', (c) => c.text(''));
slack.post('/interactions', (c) => c.text(''));
const app = appWithoutTemporal(
  `${MINIMAL_CONFIG}\napi: { tokens: [{ name: ci, token: read-token, roles: [read] }] }\n`,
  {
    slack,
  },
);

// The documentation's own routes are not part of the API it documents.
const DOCS = new Set([
  'GET /',
  'GET /api/openapi.json',
  'GET /api/docs',
  'GET /api/docs/',
  'GET /api/docs/assets/swagger-ui-dist/:file',
]);

async function document(): Promise<Record<string, Record<string, Operation>>> {
  const res = await app.request('/api/openapi.json');
  return ((await res.json()) as { paths: Record<string, Record<string, Operation>> }).paths;
}

function registeredRoutes(): { method: string; path: string }[] {
  const seen = new Set<string>();
  const out: { method: string; path: string }[] = [];
  for (const r of app.routes) {
    const key = `${r.method} ${r.path}`;
    if (r.method === 'ALL' || DOCS.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({ method: r.method.toLowerCase(), path: r.path.replace(/:(\w+)/g, '{$1}') });
  }
  return out;
}

describe('the OpenAPI document is complete', () => {
  it('has every registered route, each with a unique operationId, a tag and its real error answers', async () => {
    const paths = await document();
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(20);
    const ids = new Set<string>();
    for (const { method, path } of routes) {
      const op = paths[path]?.[method];
      expect(op, `${method.toUpperCase()} ${path} is not in the OpenAPI document`).toBeDefined();
      expect(op!.operationId, `${method} ${path}: operationId`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(ids.has(op!.operationId!), `${op!.operationId} twice`).toBe(false);
      ids.add(op!.operationId!);
      expect(op!.tags?.length, `${method} ${path}: tags`).toBeGreaterThan(0);
      if (path.startsWith('/api/')) {
        // bodyLimit on /api/* and Temporal behind every /api route (api/app.ts).
        expect(Object.keys(op!.responses), `${method} ${path}`).toEqual(expect.arrayContaining(['400', '413', '503']));
        if (op!.security?.length) expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['401', '403']));
      }
      if (path.startsWith('/webhooks/') || path.startsWith('/slack/')) expect(op!.responses['413']).toBeDefined();
    }
    // Nothing documented that the app does not answer.
    const registered = new Set(routes.map((r) => `${r.method} ${r.path}`));
    for (const [path, methods] of Object.entries(paths)) {
      for (const method of Object.keys(methods)) expect(registered, `${method} ${path}`).toContain(`${method} ${path}`);
    }
  });

  it('sends the 413 it declares', async () => {
    const big = await app.request('/api/releases', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 * 1024) },
      body: 'x'.repeat(70 * 1024),
    });
    expect(big.status).toBe(413);
  });

  it('states the name pattern it checks, the one runway.yaml allows', async () => {
    const paths = await document();
    const params = Object.values(paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((op) => op.parameters ?? [])
      .filter((p) => p.name === 'service' || p.name === 'environment');
    expect(params.length).toBeGreaterThanOrEqual(8);
    for (const p of params) expect(p.schema.pattern, `${p.in} ${p.name}`).toBe(NAME_PATTERN.source);
    // And checks it: a name runway.yaml could not hold is a 400 (before anything asks Temporal).
    for (const name of ['Payments', 'pay.ments', '-x', 'a'.repeat(64)]) {
      const res = await app.request(`/api/services/${name}/environments/staging/history`, {
        headers: { Authorization: 'Bearer read-token' },
      });
      expect(res.status, name).toBe(400);
      const dora = await app.request(`/api/metrics/dora?service=${name}`, {
        headers: { Authorization: 'Bearer read-token' },
      });
      expect(dora.status, name).toBe(400);
    }
  });

  it('docs/api.md lists every route', async () => {
    const text = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const listed = new Set(
      [...text.matchAll(/`(GET|POST|DELETE|PUT|PATCH) (\/[^`?\s]*)/g)].map(
        ([, m, p]) => `${m!.toLowerCase()} ${p!.replace(/\{[^}]+\}/g, '{}')}`,
      ),
    );
    for (const { method, path } of registeredRoutes()) {
      expect(listed, `${method.toUpperCase()} ${path} in docs/api.md`).toContain(
        `${method} ${path.replace(/\{[^}]+\}/g, '{}')}`,
      );
    }
  });
});
