// The few lines `make dev` prints once Runway answers: where everything is, and the first thing to try.

export interface BannerInput {
  /** e.g. http://localhost:8080 */
  api: string;
  temporalUi: string;
  sandbox: boolean;
  configPath: string;
  services: string[];
  /** Since `make dev` started, when known. */
  readyAfterMs?: number;
  webhookSecret?: string;
  /** The sandbox GitLab's address, for the sample's links. */
  gitlabUrl?: string;
}

/** The README's first webhook, ready to paste (sandbox only). */
export function firstCurl(api: string, webhookSecret: string, gitlab = 'http://127.0.0.1:8081'): string {
  return [
    `curl -s ${api}/webhooks/gitlab -H 'Content-Type: application/json' \\`,
    `  -H 'X-Gitlab-Event: Merge Request Hook' -H 'X-Gitlab-Token: ${webhookSecret}' \\`,
    `  -d '{"object_kind":"merge_request","project":{"id":1,"path_with_namespace":"sandbox/hello",`,
    `       "web_url":"${gitlab}/sandbox/hello"},"object_attributes":{"iid":1,"title":"Say hello",`,
    `       "action":"merge","target_branch":"main","merge_commit_sha":"0123456789abcdef0123456789abcdef01234567",`,
    `       "url":"${gitlab}/sandbox/hello/-/merge_requests/1"}}'`,
  ].join('\n');
}

export function banner(input: BannerInput): string {
  const took = input.readyAfterMs === undefined ? '' : ` in ${(input.readyAfterMs / 1000).toFixed(1)} s`;
  const mode = input.sandbox ? 'the sandbox' : input.configPath;
  const rows: [string, string][] = [
    ['API', input.api],
    ['OpenAPI UI', `${input.api}/api/docs`],
    ['Temporal UI', input.temporalUi],
  ];
  if (input.sandbox) rows.push(['Slack page', `${input.api}/sandbox/slack`]);
  const lines = [
    '',
    `runway is up${took}, running ${mode} (services: ${input.services.join(', ') || 'none'})`,
    ...rows.map(([k, v]) => `  ${k.padEnd(12)} ${v}`),
  ];
  if (input.sandbox && input.webhookSecret) {
    lines.push(
      '',
      'Merge something (the README walks through the rest):',
      firstCurl(input.api, input.webhookSecret, input.gitlabUrl),
    );
  } else if (!input.sandbox) {
    lines.push('', 'Check every credential and target: npm run check');
  }
  lines.push('', 'Logs follow; Ctrl-C stops Runway and Temporal.', '');
  return lines.join('\n');
}
