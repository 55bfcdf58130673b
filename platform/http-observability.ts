// Hono middleware: times every request into runway_http_request_duration_seconds (by route
// template, never the raw path, to keep label values few) and writes one access log line carrying
// the release the request was about.
import type { MiddlewareHandler, Context } from 'hono';
import { routePath } from 'hono/route';
import type { Logger } from 'pino';
import { releaseId as makeReleaseId } from '../domain/ids.js';
import { httpDuration } from './api-metrics.js';
import { definedFields, releaseFieldsFromId, type ReleaseLogFields } from './release-log.js';

const QUIET_ROUTES = new Set(['/metrics', '/healthz', '/readyz']);

/** releaseId / service / environment from the route's params and validated JSON body. */
export function requestReleaseFields(c: Context): ReleaseLogFields {
  const params = c.req.param() as Record<string, string | undefined>;
  let body: Record<string, unknown> | undefined;
  try {
    // Set by the OpenAPI validator when the route has a JSON body; undefined otherwise.
    body = (c.req.valid as (target: 'json') => unknown)('json') as Record<string, unknown> | undefined;
  } catch {
    body = undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const fromId = releaseFieldsFromId(params.id);
  const service = fromId.service ?? params.service ?? str(body?.service);
  const sha = str(body?.sha);
  return definedFields({
    releaseId: fromId.releaseId ?? (service && sha ? makeReleaseId(service, sha) : undefined),
    service,
    environment: params.environment ?? str(body?.environment) ?? fromId.environment,
  });
}

export function observeRequests(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const matched = routePath(c, -1);
    const route = matched === '/*' || matched === '*' ? 'unmatched' : matched;
    const status = c.res.status;
    httpDuration().observe({ method: c.req.method, route, status: String(status) }, seconds);
    const caller = (c.get as (key: string) => { name?: string } | undefined)('caller')?.name;
    const line = {
      ...requestReleaseFields(c),
      method: c.req.method,
      route,
      status,
      durationMs: Math.round(seconds * 1000),
      caller,
    };
    // Changes are worth a line each; reads and probes only when debugging.
    if (c.req.method !== 'GET' && !QUIET_ROUTES.has(route)) logger.info(line, 'request');
    else logger.debug(line, 'request');
  };
}
