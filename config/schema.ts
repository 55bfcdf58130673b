// The shape of runway.yaml. Strict objects everywhere: an unknown key is a typo until proven otherwise.
import { z } from 'zod';
import { duration } from './duration.js';
import { NAME_PATTERN } from '../domain/ids.js';

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

const instanceName = z.string().regex(NAME_PATTERN, 'lowercase letters, digits and dashes');

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

const checkSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, dots, dashes, underscores'),
    prometheus: nonEmpty
      .optional()
      .describe('PromQL instant query; {service} {environment} {sha} {shortSha} are filled in'),
    max: z.number().optional().describe('The check fails when the value is above this'),
    min: z.number().optional().describe('The check fails when the value is below this'),
    http: z
      .strictObject({
        url: nonEmpty.describe('URL to GET; placeholders as for queries'),
        expectStatus: z.number().int().min(100).max(599).default(200),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.prometheus === !c.http) ctx.addIssue({ code: 'custom', message: 'set exactly one of prometheus or http' });
    if (c.prometheus && c.max === undefined && c.min === undefined)
      ctx.addIssue({ code: 'custom', message: 'a prometheus check needs max or min' });
    if (c.http && (c.max !== undefined || c.min !== undefined))
      ctx.addIssue({ code: 'custom', message: 'max/min apply to prometheus checks only' });
  });

const verifySchema = z
  .strictObject({
    duration: duration.prefault('5m').describe('Watch this long after Healthy'),
    interval: duration.prefault('30s').describe('Time between evaluations'),
    failureLimit: z.number().int().min(0).default(0).describe('Failed evaluations tolerated per check'),
    inconclusive: z.enum(['fail', 'pass']).default('fail').describe('What a query that returns no data counts as'),
    checks: z.array(checkSchema).min(1),
  })
  .superRefine((v, ctx) => {
    if (v.interval > v.duration) ctx.addIssue({ code: 'custom', message: 'interval is longer than duration' });
    const names = new Set<string>();
    v.checks.forEach((c, i) => {
      if (names.has(c.name))
        ctx.addIssue({ code: 'custom', path: ['checks', i, 'name'], message: `duplicate check "${c.name}"` });
      names.add(c.name);
    });
  });

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'HH:MM, 00:00 to 24:00');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone, e.g. Europe/Paris');

const windowSchema = z.strictObject({
  days: z
    .array(z.enum(DAYS))
    .min(1)
    .default([...DAYS])
    .describe('mon … sun'),
  from: clock.describe('Opens at (HH:MM, local time)'),
  to: clock.describe('Closes at (HH:MM, exclusive); before `from` means overnight'),
  timeZone: timeZone.default('UTC'),
});

const freezeSchema = z
  .strictObject({
    from: z.iso.datetime({ offset: true }).describe('ISO date-time, e.g. 2026-12-20T00:00:00+01:00'),
    to: z.iso.datetime({ offset: true }),
    reason: nonEmpty,
  })
  .refine((f) => Date.parse(f.to) > Date.parse(f.from), 'to must be after from');

const rolloutSchema = z.strictObject({
  name: nonEmpty.describe("Name of the argoproj.io/v1alpha1 Rollout in this environment's Argo CD application"),
  namespace: nonEmpty.describe('Its namespace'),
});

const canarySchema = z.strictObject({
  approveSteps: z.boolean().default(false).describe("Each indefinite pause waits for an approver's Promote in Slack"),
  verifyEachStep: z
    .boolean()
    .default(true)
    .describe("Run this environment's verify checks at every pause ({canaryHash} {stableHash} {weight} filled in)"),
});

/** Between releases: what the watcher does when this environment's app misbehaves (docs/watch.md). */
const watchSchema = z.strictObject({
  degraded: z
    .enum(['alert', 'ignore'])
    .default('alert')
    .describe('Degraded or Missing outside a release: open an incident (alert) or not'),
  drift: z
    .enum(['alert', 'sync', 'ignore'])
    .default('alert')
    .describe('OutOfSync at the revision it was synced to: open an incident, sync it back, or nothing'),
  grace: duration.prefault('2m').describe('How long a bad state must last before an incident opens (and ends)'),
});

const environmentSchema = z.strictObject({
  name: z.string().regex(NAME_PATTERN, 'lowercase letters, digits and dashes'),
  manifest: manifestSchema,
  argocd: environmentArgoCdSchema,
  healthTimeout: duration.prefault('10m'),
  degradedGrace: duration.prefault('60s').describe('How long Degraded is tolerated after a sync'),
  approval: approvalSchema.optional(),
  verify: verifySchema.optional().describe('Checks after Healthy; a failed check rolls back'),
  soak: duration.optional().describe('Wait after verification before the next environment'),
  rollout: rolloutSchema
    .optional()
    .describe('An Argo Rollouts Rollout: Runway drives its canary steps (docs/canary.md)'),
  canary: canarySchema.optional().describe("How Runway gates the Rollout's pauses; needs `rollout`"),
  windows: z.array(windowSchema).default([]).describe('When deploys may land; empty = always'),
  freezes: z.array(freezeSchema).default([]).describe('Planned freezes'),
  deployers: z
    .array(identity)
    .min(1)
    .optional()
    .describe('Slack user ids or API token names who may roll back or deploy here by hand; default: the approvers'),
  watch: watchSchema.optional().describe('Between releases (default: degraded alert, drift alert, grace 2m)'),
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
      if (env.canary && !env.rollout) {
        ctx.addIssue({ code: 'custom', path: ['environments', i, 'canary'], message: 'canary needs rollout' });
      }
      if (env.canary?.approveSteps && !env.approval && !env.deployers) {
        const message = 'canary.approveSteps needs approval.approvers or deployers (who may promote)';
        ctx.addIssue({ code: 'custom', path: ['environments', i, 'canary', 'approveSteps'], message });
      }
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
    uiUrl: z.url().optional().describe('Temporal UI base URL (e.g. http://localhost:8233), for links to releases'),
    apiKey: nonEmpty
      .optional()
      .describe('Temporal Cloud API key; write `${TEMPORAL_API_KEY}` to take it from the environment'),
    apiKeyFile: nonEmpty
      .optional()
      .describe('File holding the Temporal Cloud API key (e.g. a mounted Kubernetes secret); read at connect'),
    tls: z
      .strictObject({
        serverName: nonEmpty.optional(),
        caFile: nonEmpty.optional(),
        certFile: nonEmpty.optional(),
        keyFile: nonEmpty.optional(),
      })
      .optional()
      .describe('TLS to the frontend; certFile + keyFile for mTLS (Temporal Cloud or a self-hosted cluster)'),
  })
  .superRefine((t, ctx) => {
    if (t.apiKey && t.apiKeyFile) {
      ctx.addIssue({ code: 'custom', path: ['apiKeyFile'], message: 'set apiKey or apiKeyFile, not both' });
    }
    if (t.tls && Boolean(t.tls.certFile) !== Boolean(t.tls.keyFile)) {
      ctx.addIssue({ code: 'custom', path: ['tls'], message: 'mTLS needs both certFile and keyFile' });
    }
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
        windowRecheck: duration
          .optional()
          .describe('How often a release queued behind a closed window or freeze looks again; default 5m'),
        lockLease: duration
          .optional()
          .describe('Environment lock lease; a holder that neither renews nor releases loses it; default 5m'),
        lockLivenessCheck: duration
          .optional()
          .describe('How often a busy environment lock checks that its holder and queue still run; default 30s'),
        lockIdle: duration.optional().describe('An idle environment lock ends after this; default 10m'),
        watchInterval: duration
          .optional()
          .describe('How often the watcher reads every app of an Argo CD instance between releases; default 30s'),
      })
      .default({}),
    prometheus: z
      .strictObject({
        url: z.url().describe('Prometheus base URL, e.g. http://prometheus:9090'),
        token: nonEmpty.optional().describe('Bearer token, from an environment variable'),
        headers: z.record(z.string(), z.string()).default({}).describe('Extra request headers (e.g. X-Scope-OrgID)'),
        linkTemplate: nonEmpty
          .optional()
          .describe('Link to a query for people: {query} {from} {to}; default: Prometheus graph page'),
      })
      .optional(),
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
    services: z.record(z.string().regex(NAME_PATTERN, 'lowercase letters, digits and dashes'), serviceSchema),
  })
  .superRefine((config, ctx) => {
    if (config.argocd) {
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
    }
    // A Prometheus check without a Prometheus to ask is a config error, not a failed release later.
    if (config.prometheus) return;
    for (const [name, svc] of Object.entries(config.services)) {
      svc.environments.forEach((env, i) => {
        env.verify?.checks.forEach((check, j) => {
          if (check.prometheus) {
            ctx.addIssue({
              code: 'custom',
              path: ['services', name, 'environments', i, 'verify', 'checks', j, 'prometheus'],
              message: 'needs the top-level prometheus section (url)',
            });
          }
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

/** The service named `name`, looked up as an own property: `__proto__`, `constructor` or `toString` are no service. */
export function findService(config: RunwayConfig, name: string): ServiceConfig | undefined {
  return Object.hasOwn(config.services, name) ? config.services[name] : undefined;
}
