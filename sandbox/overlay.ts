// The part of runway.yaml the sandbox fills in: where its fake GitLab, Argo CD, Slack and registry listen,
// the secrets they accept, and the sample service's infra repository and image. Pure, so a process that
// does not own the fakes (e.g. a separate API process) can compute the same config from the same ports.
import path from 'node:path';
import { INFRA_BRANCH } from './infra-repo.js';

/** Fixed by default so the curl commands in the docs work; every one can be overridden (0 = any free port). */
export const DEFAULT_SANDBOX_PORTS = { gitlab: 8081, argocd: 8082, slack: 8083, registry: 8084 } as const;
export type SandboxPorts = { -readonly [K in keyof typeof DEFAULT_SANDBOX_PORTS]: number };

/** The environment variables that move each fake (0 = any free port). */
export const SANDBOX_PORT_ENV: { [K in keyof SandboxPorts]: string } = {
  gitlab: 'RUNWAY_SANDBOX_GITLAB_PORT',
  argocd: 'RUNWAY_SANDBOX_ARGOCD_PORT',
  slack: 'RUNWAY_SANDBOX_SLACK_PORT',
  registry: 'RUNWAY_SANDBOX_REGISTRY_PORT',
};

/** The ports the environment asks for; throws a plain sentence for a value that is not a port. */
export function sandboxPortsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<SandboxPorts> {
  const ports: Partial<SandboxPorts> = {};
  for (const [what, variable] of Object.entries(SANDBOX_PORT_ENV) as [keyof SandboxPorts, string][]) {
    const value = env[variable]?.trim();
    if (!value) continue;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      throw new Error(`${variable}=${value} is not a port number (0-65535; 0 picks any free port)`);
    }
    ports[what] = port;
  }
  return ports;
}

export const SANDBOX_SECRETS = {
  gitlabToken: 'glpat-sandbox-token',
  webhookSecret: 'sandbox-secret',
  argocdToken: 'sandbox-argocd-token',
  slackBotToken: 'xoxb-sandbox-token',
  signingSecret: 'sandbox-signing-secret',
} as const;

export const SANDBOX_SERVICE = 'hello';
export const SANDBOX_PROJECT = 'sandbox/hello';
/** The second service, sharing the infra repository and branch with hello. */
export const SANDBOX_SECOND_SERVICE = 'world';
export const SANDBOX_SECOND_PROJECT = 'sandbox/world';
export const SANDBOX_CHANNEL = { id: 'C0RELEASES', name: 'releases' } as const;

export interface SandboxConfigOverlay {
  gitlab: { url: string; token: string; webhookSecret: string };
  argocd: { driver: 'api'; url: string; token: string };
  slack: { botToken: string; signingSecret: string; apiUrl: string; defaultChannel: string };
  registries: { host: string; insecure: boolean }[];
  git: { cacheDir: string };
  services: Record<
    string,
    {
      image: { repository: string };
      infra: { driver: 'git'; repository: string; branch: string };
    }
  >;
}

export function registryHost(ports: Pick<SandboxPorts, 'registry'>): string {
  return `127.0.0.1:${ports.registry}`;
}

/**
 * The overlay for fakes listening on these (actual, non-zero) ports. The image repository names the fake
 * registry's host so the real registry client can reach it; the seed manifests keep their
 * `registry.sandbox.local` name, so the first staging release adds a kustomize `newName`.
 */
export function sandboxConfigOverlay(options: {
  dataDir: string;
  repoPath: string;
  ports: SandboxPorts;
}): SandboxConfigOverlay {
  const { ports } = options;
  const local = (port: number) => `http://127.0.0.1:${port}`;
  return {
    gitlab: {
      url: local(ports.gitlab),
      token: SANDBOX_SECRETS.gitlabToken,
      webhookSecret: SANDBOX_SECRETS.webhookSecret,
    },
    argocd: { driver: 'api', url: local(ports.argocd), token: SANDBOX_SECRETS.argocdToken },
    slack: {
      botToken: SANDBOX_SECRETS.slackBotToken,
      signingSecret: SANDBOX_SECRETS.signingSecret,
      apiUrl: `${local(ports.slack)}/api/`,
      defaultChannel: `#${SANDBOX_CHANNEL.name}`,
    },
    registries: [{ host: registryHost(ports), insecure: true }],
    git: { cacheDir: path.resolve(options.dataDir, 'git-cache') },
    services: {
      [SANDBOX_SERVICE]: {
        image: { repository: `${registryHost(ports)}/${SANDBOX_PROJECT}` },
        infra: { driver: 'git', repository: path.resolve(options.repoPath), branch: INFRA_BRANCH },
      },
      [SANDBOX_SECOND_SERVICE]: {
        image: { repository: `${registryHost(ports)}/${SANDBOX_SECOND_PROJECT}` },
        infra: { driver: 'git', repository: path.resolve(options.repoPath), branch: INFRA_BRANCH },
      },
    },
  };
}
