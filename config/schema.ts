// The shape of runway.yaml. Strict objects everywhere: an unknown key is a typo until proven otherwise.
import { z } from 'zod';
import { duration } from './duration.js';

const nonEmpty = z.string().min(1);

const approvalSchema = z.strictObject({
  channel: nonEmpty.describe('Slack channel that receives the Approve / Reject message'),
  approvers: z.array(nonEmpty).min(1).describe('Slack user ids (U…) or usernames allowed to decide'),
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

const instanceName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');

const environmentArgoCdSchema = z.strictObject({
  application: nonEmpty.describe('Name of the Argo CD Application'),
  project: nonEmpty.optional().describe('Its Argo CD project (then a missing app is reported as such)'),
  instance: instanceName
    .optional()
    .describe('Which Argo CD (a name under argocd.instances); default: the default instance'),
  namespace: nonEmpty
    .optional()
    .describe("Namespace of the Application when it is not Argo CD's own (apps in any namespace)"),
  autoSyncTimeout: duration
    .optional()
    .describe('Auto-sync apps: sync (without a revision) if the controller has not started within this; default 30s'),
  onSuspended: z
    .enum(['wait', 'healthy', 'fail'])
    .optional()
    .describe('Health Suspended (e.g. a paused canary): keep waiting (default), count as healthy, or fail'),
  onMissing: z
    .enum(['wait', 'fail'])
    .optional()
    .describe('Health Missing: keep waiting until the health timeout (default), or fail after degradedGrace'),
});

const environmentSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes'),
  manifest: manifestSchema,
  argocd: environmentArgoCdSchema,
  healthTimeout: duration.prefault('10m'),
  degradedGrace: duration.prefault('60s').describe('How long Degraded is tolerated after a sync'),
  approval: approvalSchema.optional(),
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
      driver: z.enum(['gitlab', 'git', 'memory']).default('gitlab'),
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

const argocdConnection = {
  driver: z.enum(['api', 'kubernetes']).optional().describe('api (REST, default) or kubernetes (Application CR)'),
  url: z.url().optional().describe('API server URL (api driver)'),
  token: nonEmpty.optional().describe('Bearer token (api driver)'),
  namespace: nonEmpty.optional().describe("Argo CD's own namespace (default argocd)"),
  uiUrl: z.url().optional().describe('Base of UI links'),
};

function checkConnection(a: { driver?: string; url?: string; token?: string }, ctx: z.RefinementCtx): void {
  if ((a.driver ?? 'api') === 'api' && (!a.url || !a.token)) {
    ctx.addIssue({ code: 'custom', message: 'the api driver needs url and token' });
  }
}

const argocdInstanceSchema = z.strictObject(argocdConnection).superRefine(checkConnection);

/**
 * One Argo CD (the fields at the top, the old form) and/or named instances (e.g. one per cluster). The
 * top-level connection is the instance called `default`; `default:` names another one instead.
 */
const argocdSchema = z
  .strictObject({
    ...argocdConnection,
    instances: z.record(instanceName, argocdInstanceSchema).optional().describe('Named Argo CD instances'),
    default: instanceName.optional().describe('The instance environments use when they name none'),
  })
  .superRefine((a, ctx) => {
    const topLevel = a.driver !== undefined || a.url !== undefined || a.token !== undefined;
    if (topLevel || !a.instances) checkConnection(a, ctx);
    if (topLevel && a.instances?.default) {
      ctx.addIssue({
        code: 'custom',
        path: ['instances', 'default'],
        message: 'the top-level connection is already "default"',
      });
    }
    if (a.default && !a.instances?.[a.default]) {
      ctx.addIssue({ code: 'custom', path: ['default'], message: `no instance "${a.default}" under instances` });
    }
  });

export type ArgoCdInstanceConfig = z.output<typeof argocdInstanceSchema>;

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

export const configSchema = z
  .strictObject({
    temporal: temporalSchema,
    gitlab: z
      .strictObject({
        url: z.url(),
        token: nonEmpty,
        webhookSecret: nonEmpty.optional(),
      })
      .optional(),
    argocd: argocdSchema.optional(),
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
  })
  .superRefine((config, ctx) => {
    if (!config.argocd) return;
    const known = argocdInstances(config);
    for (const [service, svc] of Object.entries(config.services)) {
      svc.environments.forEach((env, i) => {
        const name = env.argocd.instance ?? 'default';
        if (known[name]) return;
        ctx.addIssue({
          code: 'custom',
          path: ['services', service, 'environments', i, 'argocd', 'instance'],
          message: env.argocd.instance
            ? `no Argo CD instance "${name}" (configured: ${Object.keys(known).join(', ')})`
            : 'no default Argo CD instance: name one here or set argocd.default',
        });
      });
    }
  });

export type RunwayConfig = z.output<typeof configSchema>;

/** Every configured Argo CD by name; `default` is the one environments use when they name none. */
export function argocdInstances(config: {
  argocd?: z.output<typeof argocdSchema>;
}): Record<string, ArgoCdInstanceConfig> {
  const a = config.argocd;
  if (!a) return {};
  const out: Record<string, ArgoCdInstanceConfig> = { ...a.instances };
  if (a.driver !== undefined || a.url !== undefined || a.token !== undefined || !a.instances) {
    out.default = { driver: a.driver, url: a.url, token: a.token, namespace: a.namespace, uiUrl: a.uiUrl };
  } else if (a.default) out.default = a.instances[a.default]!;
  return out;
}
export type ServiceConfig = RunwayConfig['services'][string];
export type EnvironmentConfig = ServiceConfig['environments'][number];
