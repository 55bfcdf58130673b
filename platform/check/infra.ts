// Infra repositories of the `git` driver: the worker's own driver reads each branch and asks the remote whether
// a push would be let in (`git push --dry-run`), with the credentials the worker has (URL, helper, SSH key).
// GitLab-hosted infra repositories are checked by the gitlab area (project visible, access level to push).
import { createInfraDrivers } from '../../integrations/infra-drivers.js';
import { redact } from '../../integrations/infra-git.js';
import type { RunwayConfig } from '../../config/schema.js';
import type { CheckResult } from './report.js';

export async function checkInfra(config: RunwayConfig): Promise<CheckResult[]> {
  const area = 'infra';
  const locations = new Map<string, { repository: string; branch: string; services: string[] }>();
  for (const [name, service] of Object.entries(config.services)) {
    if (service.infra.driver !== 'git') continue;
    const key = `${service.infra.repository}\n${service.infra.branch}`;
    const entry = locations.get(key) ?? { ...service.infra, services: [] };
    entry.services.push(name);
    locations.set(key, entry);
  }
  if (locations.size === 0) return [];
  const git = createInfraDrivers(config).git!;
  const out: CheckResult[] = [];
  for (const { repository, branch, services } of locations.values()) {
    const where = `${redact(repository)}@${branch}`;
    try {
      const access = await git.checkAccess!({ driver: 'git', repository, branch });
      out.push({ area, check: `${where} readable`, status: 'ok', detail: `head ${access.head.slice(0, 12)}` });
      out.push(
        access.push.ok
          ? { area, check: `${where} accepts a push (dry run)`, status: 'ok' }
          : {
              area,
              check: `${where} accepts a push (dry run)`,
              status: 'fail',
              detail: access.push.reason,
              fix: `give the worker's git credentials push rights on ${branch} (services ${services.join(', ')} commit there)`,
            },
      );
    } catch (err) {
      out.push({
        area,
        check: `${where} readable`,
        status: 'fail',
        detail: redact((err as Error).message.split('\n')[0] ?? ''),
        fix: `check services.${services[0]}.infra.repository and .branch, and the worker's git credentials`,
      });
    }
  }
  return out;
}
