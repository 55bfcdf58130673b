// The landing page, the OpenAPI UI and its locally served assets, and the 401 that says there are no tokens.
import { describe, expect, it } from 'vitest';
import { appWithoutTemporal, MINIMAL_CONFIG } from '../support/docs-app.js';

describe('landing and API docs', () => {
  const app = appWithoutTemporal();

  it('serves a landing page at / that links the docs and names the services', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<title>Runway</title>');
    expect(html).toContain('href="/api/docs"');
    expect(html).toContain('<code>hello</code>');
    expect(html).not.toContain('/sandbox/slack');
  });

  it('serves Swagger UI at /api/docs with its assets from the package, not a CDN', async () => {
    const res = await app.request('/api/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("url: 'openapi.json'");
    expect(html).not.toMatch(/cdn\.jsdelivr|unpkg/);
    const [, css] = /href="([^"]+swagger-ui\.css)"/.exec(html) ?? [];
    const [, js] = /src="([^"]+swagger-ui-bundle\.js)"/.exec(html) ?? [];
    for (const asset of [css, js]) {
      expect(asset).toBeDefined();
      const served = await app.request(new URL(asset!, 'http://x/api/docs').pathname);
      expect(served.status).toBe(200);
      expect((await served.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await app.request('/api/docs/assets/swagger-ui-dist/package.json')).status).toBe(404);
    expect((await app.request('/api/docs/assets/swagger-ui-dist/..%2F..%2Fpackage.json')).status).toBe(404);
  });

  it('publishes an OpenAPI document the UI reads', async () => {
    const res = await app.request('/api/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
  });
});

describe('API tokens', () => {
  it('says "no API tokens are configured" when there are none, and "unknown token" otherwise', async () => {
    const none = await appWithoutTemporal().request('/api/releases', { headers: { Authorization: 'Bearer x' } });
    expect(none.status).toBe(401);
    expect(JSON.stringify(await none.json())).toContain('no API tokens are configured (api.tokens in runway.yaml)');

    const withTokens = appWithoutTemporal(
      `${MINIMAL_CONFIG}api:\n  tokens:\n    - { name: ci, token: right-token, roles: [read] }\n`,
    );
    const wrong = await withTokens.request('/api/releases', { headers: { Authorization: 'Bearer wrong' } });
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(await wrong.json())).toContain('unknown token');
  });
});
