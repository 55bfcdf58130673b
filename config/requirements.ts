// What a real runway.yaml must configure for the services it names. A missing section is refused at startup
// (one line per problem) instead of being replaced by a stand-in: stand-ins exist only in tests, the bench and
// the sandbox, which hand them in explicitly (see worker/deps.ts).
import type { RunwayConfig } from './schema.js';

/** Integrations a process was handed explicitly (tests, bench, sandbox): their config section is not needed. */
export interface ProvidedIntegrations {
  gitlab?: boolean;
  argocd?: boolean;
  notifier?: boolean;
  infra?: boolean;
}

export function missingIntegrations(config: RunwayConfig, provided: ProvidedIntegrations = {}): string[] {
  const problems: string[] = [];
  const services = Object.entries(config.services);
  const names = (list: [string, unknown][]) => list.map(([name]) => name).join(', ');
  if (services.length === 0) return problems;

  if (!config.gitlab && !provided.gitlab) {
    problems.push(
      `gitlab: required: services ${names(services)} are built and tracked in GitLab (pipelines, deployments, merge request notes)`,
    );
  }
  if (!config.argocd && !provided.argocd) {
    problems.push(`argocd: required: services ${names(services)} deploy through Argo CD applications`);
  }
  if (!config.slack && !provided.notifier) {
    problems.push(`slack: required: release messages and approvals are posted to Slack (botToken)`);
  }
  for (const [name, service] of services) {
    if (service.infra.driver === 'gitlab' && !config.gitlab && !provided.infra) {
      problems.push(`services.${name}.infra.driver: "gitlab" needs the gitlab: section (url, token)`);
    }
    const channel = service.notify.channel ?? config.slack?.defaultChannel;
    if (config.slack && !provided.notifier && !channel) {
      problems.push(`services.${name}.notify.channel: required (or set slack.defaultChannel)`);
    }
  }
  return problems;
}

/** What the API process can run without, but loses: one warning each at startup. */
export function apiStartupWarnings(config: RunwayConfig): string[] {
  const warnings: string[] = [];
  if (Object.keys(config.services).length === 0) return warnings;
  if (!config.gitlab) {
    warnings.push('gitlab: not configured: webhooks are refused (401) and no merge catch-up runs');
  } else {
    if (!config.gitlab.webhookSecret) {
      warnings.push(
        'gitlab.webhookSecret: not set: every webhook is refused (401); only the merge catch-up starts releases',
      );
    }
    if (!config.gitlab.reconcile.enabled) {
      warnings.push('gitlab.reconcile.enabled: false: a merge whose webhook is lost is never released');
    }
  }
  const gated = Object.values(config.services).some((s) => s.environments.some((e) => e.approval));
  if (gated && !config.slack?.signingSecret) {
    warnings.push('slack.signingSecret: not set: approval buttons and /runway are off (approve over REST)');
  }
  if (config.api.tokens.length === 0) warnings.push('api.tokens: none: the REST API refuses every call (401)');
  return warnings;
}
