// The shape of runway.yaml. Strict objects everywhere: an unknown key is a typo until proven otherwise.
import { z } from 'zod';
import { duration } from './duration.js';

const nonEmpty = z.string().min(1);

/**
 * A person Runway acts for: a Slack user id (U… or W…), never a username or display name (those can be changed
 * by anyone to look like an approver), or the name of an API token (`api.tokens[].name`).
 */
const identity = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, 'a Slack user id (U…) or an API token name, without @ or spaces');

const approvalSchema = z.strictObject({
  channel: nonEmpty.describe('Slack channel that receives the Approve / Reject message'),
  approvers: z
    .array(identity)
    .min(1)
    .describe('Slack user ids (U…, never usernames) or API token names allowed to decide'),

  timeout: duration.prefault('24h').describe('After this the release ends `expired`, with no change'),
});

const manifestSchema = z
  .strictObject({
    file: nonEmpty.describe('Path of the manifest in the infra repository'),
    kustomize: z.strictObject({ image: nonEmpty.describe('`images[].name` to edit') }).optional(),
    helm: z
      .strictObject({
        tagPath: nonEmpty.default('image.tag').describe('Dotted path of the tag, e.g. image.tag'),
        repositoryPath: nonEmpty.optional().describe('Dotted path of the repository, e.g. image.repository'),
      })
      .optional(),
    container: z
      .strictObject({
        name: nonEmpty.describe('Container name'),
        kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']).optional(),
        workload: nonEmpty.optional().describe('metadata.name of the workload, when the file holds several'),
      })
      .optional(),
  })
  .superRefine((m, ctx) => {
    const set = [m.kustomize, m.helm, m.container].filter(Boolean).length;
    if (set !== 1) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of kustomize, helm or container' });
    }
  });

const environmentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  manifest: manifestSchema,
  argocd: z.strictObject({ application: nonEmpty, project: nonEmpty.optional() }),
  healthTimeout: duration.prefault('10m'),
  degradedGrace: duration.prefault('60s').describe('How long Degraded is tolerated after a sync'),
  approval: approvalSchema.optional(),
  deployers: z
    .array(identity)
    .min(1)
    .optional()
    .describe('Slack user ids or API token names who may roll back or deploy here by hand; default: the approvers'),
});

const serviceSchema = z
  .strictObject({
    gitlab: z.strictObject({
      project: nonEmpty.describe('Project path (group/name) or numeric id'),
      webUrl: z.url().optional(),
    }),
    triggerBranches: z.array(nonEmpty).min(1).default(['main']),
    image: z.strictObject({
      repository: nonEmpty.describe('e.g. registry.gitlab.com/acme/payments'),
      tag: nonEmpty.default('{sha}').describe('Tag template: {sha}, {shortSha}, {branch}'),
    }),
    infra: z.strictObject({
      driver: z
        .enum(['gitlab', 'git'], { error: 'must be gitlab or git (memory is a test stand-in, not a driver)' })
        .default('gitlab'),
      repository: nonEmpty.describe('GitLab project of the infra repo (gitlab driver) or a git URL (git driver)'),
      branch: nonEmpty.default('main'),
    }),
    pipeline: z.strictObject({ timeout: duration.prefault('1h'), pollInterval: duration.prefault('1m') }).prefault({}),
    rollback: z.enum(['environment', 'all']).default('environment'),
    notify: z.strictObject({ channel: nonEmpty.optional() }).default({}),
    environments: z.array(environmentSchema).min(1),
  })
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.environments.forEach((env, i) => {
      if (seen.has(env.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['environments', i, 'name'],
          message: `duplicate environment "${env.name}"`,
        });
      }
      seen.add(env.name);
    });
  });

const temporalSchema = z
  .strictObject({
    address: nonEmpty.default('localhost:7233'),
    namespace: nonEmpty.default('default'),
    taskQueue: nonEmpty.default('runway'),
    apiKey: nonEmpty.optional(),
    tls: z
      .strictObject({
        serverName: nonEmpty.optional(),
        caFile: nonEmpty.optional(),
        certFile: nonEmpty.optional(),
        keyFile: nonEmpty.optional(),
      })
      .optional(),
  })
  .default({ address: 'localhost:7233', namespace: 'default', taskQueue: 'runway' });

export const configSchema = z.strictObject({
  temporal: temporalSchema,
  gitlab: z
    .strictObject({
      url: z.url(),
      token: nonEmpty,
      webhookSecret: nonEmpty.optional(),
      reconcile: z
        .strictObject({
          enabled: z.boolean().default(true),
          interval: duration.prefault('3m').describe('How often merged MRs are listed to catch missed webhooks'),
          lookback: duration.prefault('6h').describe('How far back the first listing after a start looks'),
        })
        .prefault({})
        .describe('Catch-up for merges whose webhook never arrived (GitLab does not redeliver)'),
    })
    .optional(),
  argocd: z
    .strictObject({
      driver: z.enum(['api', 'kubernetes']).default('api'),
      url: z.url().optional(),
      token: nonEmpty.optional(),
      namespace: nonEmpty.default('argocd'),
      uiUrl: z.url().optional(),
    })
    .superRefine((a, ctx) => {
      if (a.driver === 'api' && (!a.url || !a.token)) {
        ctx.addIssue({ code: 'custom', message: 'the api driver needs url and token' });
      }
    })
    .optional(),
  slack: z
    .strictObject({
      botToken: nonEmpty,
      signingSecret: nonEmpty.optional(),
      apiUrl: z.url().optional(),
      defaultChannel: nonEmpty.optional(),
    })
    .optional(),
  registries: z
    .array(
      z.strictObject({
        host: nonEmpty,
        username: nonEmpty.optional(),
        password: nonEmpty.optional(),
        token: nonEmpty.optional(),
        insecure: z.boolean().default(false),
      }),
    )
    .default([]),
  git: z
    .strictObject({
      cacheDir: nonEmpty.default('.data/git-cache'),
      authorName: nonEmpty.default('Runway'),
      authorEmail: nonEmpty.default('runway@localhost'),
    })
    .default({ cacheDir: '.data/git-cache', authorName: 'Runway', authorEmail: 'runway@localhost' }),
  timing: z
    .strictObject({
      pollInterval: duration.optional().describe('How often long waits (health) poll; default 5s'),
      heartbeatTimeout: duration.optional().describe('Heartbeat timeout of long waits; default 30s'),
      retryInitialInterval: duration.optional().describe('First retry interval of every activity; default 1s'),
    })
    .default({}),
  links: z
    .strictObject({ logs: nonEmpty.optional().describe('Logs URL template: {service} {environment} {from} {to}') })
    .default({}),
  api: z
    .strictObject({
      tokens: z
        .array(
          z
            .strictObject({
              name: nonEmpty.describe('Who this token is; used as the approver identity for API approvals'),
              token: nonEmpty.optional().describe('The token itself, from an environment variable'),
              sha256: z
                .string()
                .regex(/^[0-9a-f]{64}$/, 'hex SHA-256 of the token')
                .optional()
                .describe('Or only its SHA-256, so the config never holds the token'),
              roles: z.array(z.enum(['read', 'deploy', 'approve'])).min(1),
            })
            .superRefine((t, ctx) => {
              if (!t.token === !t.sha256)
                ctx.addIssue({ code: 'custom', message: 'set exactly one of token or sha256' });
            }),
        )
        .default([]),
    })
    .default({ tokens: [] }),
  server: z
    .strictObject({ host: nonEmpty.default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8080) })
    .default({ host: '127.0.0.1', port: 8080 }),
  services: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
    serviceSchema,
  ),
});

export type RunwayConfig = z.output<typeof configSchema>;
export type ServiceConfig = RunwayConfig['services'][string];
export type EnvironmentConfig = ServiceConfig['environments'][number];

/** The service named `name`, looked up as an own property: `__proto__`, `constructor` or `toString` are no service. */
export function findService(config: RunwayConfig, name: string): ServiceConfig | undefined {
  return Object.hasOwn(config.services, name) ? config.services[name] : undefined;
}
