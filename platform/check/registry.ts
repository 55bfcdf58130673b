// Registries: each configured registry accepts Runway's credentials (GET /v2/, and the Bearer token
// exchange its WWW-Authenticate challenge asks for, as in the distribution token spec).
import type { RunwayConfig } from '../../config/schema.js';
import { getJson, record, said, Unreachable, type Fetch } from './http.js';
import type { CheckResult } from './report.js';

type Registry = RunwayConfig['registries'][number];

function basic(r: Registry): string | undefined {
  const user = r.username ?? (r.token ? 'runway' : undefined);
  const secret = r.password ?? r.token;
  return user && secret ? `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` : undefined;
}

function challenge(header: string | null): { scheme: string; params: Record<string, string> } | undefined {
  const m = /^(\w+)\s*(.*)$/.exec(header ?? '');
  if (!m) return undefined;
  const params = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((p) => [p[1]!, p[2]!]));
  return { scheme: m[1]!.toLowerCase(), params };
}

export async function checkRegistries(config: RunwayConfig, options: { fetch?: Fetch } = {}): Promise<CheckResult[]> {
  const area = 'registry';
  if (config.registries.length === 0) {
    return [{ area, check: 'configured', status: 'skip', detail: 'no registries: images are looked up anonymously' }];
  }
  const out: CheckResult[] = [];
  for (const r of config.registries) {
    const check = `${r.host} accepts the credentials`;
    const url = `${r.insecure ? 'http' : 'https'}://${r.host}/v2/`;
    const auth = basic(r);
    try {
      const first = await getJson(url, {}, options);
      if (first.status === 200) {
        out.push({ area, check, status: 'ok', detail: 'no authentication required' });
        continue;
      }
      const c = challenge(first.headers.get('www-authenticate'));
      let answer = first;
      if (c?.scheme === 'basic' && auth) answer = await getJson(url, { Authorization: auth }, options);
      if (c?.scheme === 'bearer' && c.params.realm) {
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
