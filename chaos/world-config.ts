// The runway.yaml of an integration world (test/support/integration-world.ts): its services, GitLab, API tokens.
// Shared by `npm run chaos`, the bench's burst and the multi-process test, which run the API as it runs in
// production (api/main.ts reading this file).
import { FAKE_GITLAB_TOKEN } from '../fakes/gitlab.js';
import { APPROVALS_CHANNEL, APPROVERS, type IntegrationWorld } from '../test/support/integration-world.js';

export interface WorldConfigOptions {
  taskQueue: string;
  temporalAddress: string;
  webhookSecret: string;
  tokens: { reader: string; deployer: string; approver: string };
  /** The API's own port (api/main.ts); 8080 when unset. */
  port?: number;
  /** Catch-up listing of merged MRs; on by default, as in production. */
  reconcile?: boolean;
  slack?: { apiUrl: string; token: string; defaultChannel: string };
  /** Top-level `timing:` (short heartbeats and polls for tests), as YAML flow mapping text. */
  timing?: string;
}

export function worldConfigYaml(world: IntegrationWorld, o: WorldConfigOptions): string {
  const services = world.services.map((s) => {
    const [staging, production] = s.environments;
    const manifest = (t: (typeof s.environments)[number]['target']) =>
      t.kind === 'kustomize'
        ? `{ file: ${t.file}, kustomize: { image: '${t.name}' } }`
        : t.kind === 'helm'
          ? `{ file: ${t.file}, helm: { tagPath: ${t.tagPath} } }`
          : `{ file: ${t.file} }`;
    return `
  ${s.name}:
    gitlab: { project: ${s.project} }
    image: { repository: '${s.imageRepository}' }
    infra: { driver: git, repository: '${world.infra.url}' }
    environments:
      - { name: staging, manifest: ${manifest(staging!.target)}, argocd: { application: ${staging!.application} } }
      - name: production
        manifest: ${manifest(production!.target)}
        argocd: { application: ${production!.application} }
        approval: { channel: '${APPROVALS_CHANNEL.id}', approvers: [${APPROVERS.join(', ')}] }`;
  });
  const slack = o.slack
    ? `slack: { botToken: '${o.slack.token}', apiUrl: '${o.slack.apiUrl}', defaultChannel: '${o.slack.defaultChannel}' }\n`
    : '';
  return `
temporal: { address: '${o.temporalAddress}', taskQueue: ${o.taskQueue} }
gitlab:
  url: '${world.gitlab.url}'
  token: '${FAKE_GITLAB_TOKEN}'
  webhookSecret: '${o.webhookSecret}'
  reconcile: { enabled: ${o.reconcile ?? true} }
${slack}${o.timing ? `timing: ${o.timing}\n` : ''}${o.port !== undefined ? `server: { host: 127.0.0.1, port: ${o.port} }\n` : ''}api:
  tokens:
    - { name: reader, token: '${o.tokens.reader}', roles: [read] }
    - { name: deployer, token: '${o.tokens.deployer}', roles: [read, deploy] }
    - { name: U0ALICE, token: '${o.tokens.approver}', roles: [read, approve] }
services:${services.join('')}
`;
}
