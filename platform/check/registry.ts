// Registries, as the worker authenticates to them: every service image is looked up through the worker's own
// registry client (a static token is sent as `Bearer`, username/password answer the registry's challenge, the
// Bearer token exchange of the distribution token spec); a configured registry no service uses gets GET /v2/.
import { createRegistryClient, RegistryAuthError } from '../../integrations/registry.js';
import { canonicalRegistryHost, splitRepository } from '../../integrations/image-reference.js';
import type { RunwayConfig } from '../../config/schema.js';
import { getJson, record, said, Unreachable, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

type Registry = RunwayConfig['registries'][number];

/** The tag looked up: whether it exists does not matter, only that the registry let us ask. */
const PROBE_TAG = 'runway-check';

/** What the worker sends before any challenge (RegistryClient.initialAuthorization) or in answer to one. */
function authorization(r: Registry): string | undefined {
  if (r.token) return `Bearer ${r.token}`;
  return r.username && r.password
    ? `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`
    : undefined;
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^(\w+)\s*(.*)$/.exec(header ?? '');
  if (!m) return undefined;
  const params = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((p) => [p[1]!, p[2]!]));
  return { scheme: m[1]!.toLowerCase(), params };
}

export async function checkRegistries(config: RunwayConfig, options: { fetch?: Fetch } = {}): Promise<CheckResult[]> {
  const area = 'registry';
  if (config.registries.length === 0 && Object.keys(config.services).length === 0) {
    return [{ area, check: 'configured', status: 'skip', detail: 'no registries and no services' }];
  }
  const out: CheckResult[] = [];
  // The worker's client, built from the same entries as worker/deps.ts builds it.
  const client = createRegistryClient({
    credentials: config.registries.map((r) => ({
      host: r.host,
      username: r.username,
      password: r.password,
      token: r.token,
    })),
    insecureHosts: config.registries.filter((r) => r.insecure).map((r) => r.host),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const probed = new Set<string>();
  for (const [service, s] of Object.entries(config.services)) {
    const repository = s.image.repository;
    if (probed.has(repository)) continue;
    probed.add(repository);
    const host = splitRepository(repository).host;
    const check = `service ${service}: ${repository} readable`;
    try {
      const found = await client.imageExists({ repository, tag: PROBE_TAG });
      out.push({ area, check, status: 'ok', detail: `looked up :${PROBE_TAG} (${found.exists ? 'found' : 'absent'})` });
    } catch (err) {
      const configured = config.registries.some((r) => canonicalRegistryHost(r.host) === host);
      out.push({
        area,
        check,
        status: 'fail',
        detail: (err as Error).message.split('\n')[0],
        fix:
          err instanceof RegistryAuthError
            ? configured
              ? `check registries[] for ${host}: username and password, or token`
              : `add ${host} under registries[] with credentials that may pull ${repository}`
            : `check services.${service}.image.repository and registries[].insecure for ${host}`,
      });
    }
  }
  const used = new Set([...probed].map((repository) => splitRepository(repository).host));
  for (const r of config.registries) {
    if (used.has(canonicalRegistryHost(r.host))) continue;
    const check = `${r.host} accepts the credentials`;
    const url = `${r.insecure ? 'http' : 'https'}://${r.host}/v2/`;
    const auth = authorization(r);
    try {
      const first = await getJson(url, {}, options);
      if (first.status === 200) {
        out.push({ area, check, status: 'ok', detail: 'no authentication required' });
        continue;
      }
      const c = challenge(first.headers.get('www-authenticate'));
      let answer = first;
      // A static token goes as is, like the worker sends it; Basic answers a Basic challenge.
      if (r.token || (c?.scheme === 'basic' && auth)) answer = await getJson(url, { Authorization: auth! }, options);
      else if (c?.scheme === 'bearer' && c.params.realm) {
        const tokenUrl = new URL(c.params.realm);
        if (c.params.service) tokenUrl.searchParams.set('service', c.params.service);
        answer = await getJson(tokenUrl.href, auth ? { Authorization: auth } : {}, options);
        if (answer.status === 200 && !record(answer.body).token && !record(answer.body).access_token)
          answer = { ...answer, status: 500 };
      }
      out.push(
        answer.status === 200
          ? { area, check, status: 'ok' }
          : {
              area,
              check,
              status: auth ? 'fail' : 'warn',
              detail: `${answer.status} ${said(answer.body)}`,
              fix: auth
                ? 'check registries[].username and password (or token)'
                : 'add credentials under registries[] if images are private',
            },
      );
    } catch (err) {
      out.push({
        area,
        check,
        status: 'fail',
        detail: err instanceof Unreachable ? err.message : String(err),
        fix: 'check registries[].host (and insecure for plain http)',
      });
    }
  }
  return out;
}
