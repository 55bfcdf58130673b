// `runway check`: every credential and target runway.yaml names, checked from where Runway will run.
import type { KubeConfig } from '@kubernetes/client-node';
import { missingIntegrations } from '../../config/requirements.js';
import type { RunwayConfig } from '../../config/schema.js';
import { checkArgoCd } from './argocd.js';
import { checkInfra } from './infra.js';
import { checkGitLab } from './gitlab.js';
import type { Fetch } from './http.js';
import { checkPrometheus } from './prometheus.js';
import { checkRegistries } from './registry.js';
import type { CheckResult } from './report.js';
import { checkSlack } from './slack.js';
import { checkTemporal } from './temporal.js';

export { failed, formatJson, formatText, type CheckResult, type CheckStatus } from './report.js';

export interface CheckOptions {
  /** Where GitLab should send webhooks (RUNWAY_PUBLIC_URL); the webhook check compares URLs when given. */
  publicUrl?: string;
  /** Used when runway.yaml has no prometheus section (RUNWAY_PROMETHEUS_URL). */
  prometheusUrl?: string;
  /** Skip Temporal (tests of the other checks). */
  skipTemporal?: boolean;
  fetch?: Fetch;
  /** For the kubernetes Argo CD driver; default: KUBECONFIG or ~/.kube/config, as the worker loads it. */
  kubeConfig?: KubeConfig;
}

/** Runs the areas one after another (a few dozen calls), each turning its own errors into results. */
export async function runChecks(config: RunwayConfig, options: CheckOptions = {}): Promise<CheckResult[]> {
  const guard = async (area: string, run: () => Promise<CheckResult[]>): Promise<CheckResult[]> => {
    try {
      return await run();
    } catch (err) {
      return [{ area, check: 'check ran', status: 'fail', detail: (err as Error).message.split('\n')[0] }];
    }
  };
  // What the worker refuses to start without (worker/deps.ts assertIntegrations): a failure, never a skip.
  const refused: CheckResult[] = missingIntegrations(config).map((problem) => ({
    area: 'config',
    check: problem.split(': ')[0]!,
    status: 'fail',
    detail: problem.slice(problem.indexOf(': ') + 2),
    fix: 'the worker refuses to start with this config: add the section (see docs/configuration.md)',
  }));
  return [
    ...refused,
    ...(options.skipTemporal ? [] : await guard('temporal', () => checkTemporal(config))),
    ...(await guard('gitlab', () => checkGitLab(config, options))),
    ...(await guard('argocd', () => checkArgoCd(config, options))),
    ...(await guard('infra', () => checkInfra(config))),
    ...(await guard('slack', () => checkSlack(config))),
    ...(await guard('registry', () => checkRegistries(config, options))),
    ...(await guard('prometheus', () => checkPrometheus(config, { url: options.prometheusUrl, fetch: options.fetch }))),
  ];
}
