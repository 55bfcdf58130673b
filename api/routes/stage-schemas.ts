// OpenAPI schemas of a timeline stage: one per stage kind, each with the details that kind records
// (domain/stage-details.ts), so clients read a sync's details as a sync's, not as any key at all.
import { z } from '@hono/zod-openapi';
import type { CheckValuesKey, StageDetailsByKind, StageKind } from '../../domain/stage-details.js';

const text = z.string().optional();
const count = z.number().optional();
const flag = z.boolean().optional();

const sync = {
  argocdUrl: text,
  argocdSync: z.enum(['auto', 'manual']).optional().describe('auto: the app synced itself; manual: Runway asked'),
  blockedBySyncWindow: text.describe('An Argo CD sync window held the sync: until when (ISO), or `unknown`'),
  health: text.describe('The health the wait ended on'),
};

/** `values:<check name>`: verify and canary stages keep each check's last values under such a key. */
const checkValuesDoc = {
  description: '`values:<check name>`: the last values of that check, oldest first',
  // Only the `values:` keys are strings; the record's own `additionalProperties` would claim it of every key.
  // (OpenAPI 3.1 `patternProperties`, which the metadata type does not list.)
  additionalProperties: true,
  patternProperties: { '^values:': { type: 'string' } },
};
const checkValues = z.record(z.templateLiteral(['values:', z.string()]), z.string()).openapi(checkValuesDoc);

/** Per kind, the details it names (verify and canary also keep `values:<check>` keys). */
export const STAGE_DETAIL_FIELDS = {
  image: z.object({
    image: text,
    buildSkipped: flag,
    digest: text,
    pipelineId: count,
    pipelineUrl: text,
    pipelineStatus: z.enum(['pending', 'running', 'success', 'failed', 'canceled', 'skipped', 'missing']).optional(),
    failedJob: text,
    failedJobUrl: text,
    supersededBy: text,
    error: text,
  }),
  approval: z.object({
    approvers: text.describe('Comma-separated'),
    channel: text,
    decision: z.enum(['approved', 'rejected']).optional(),
    decidedBy: text,
    decidedAt: text,
    expired: z.literal(true).optional(),
    supersededBy: text,
    error: text,
  }),
  window: z.object({
    closedBecause: text,
    opensAt: text,
    openedAt: text,
    forcedBy: text,
    forceReason: text,
    supersededBy: text,
    summary: text,
  }),
  queue: z.object({ queuedBehind: text, note: text, supersededBy: text, error: text }),
  deploy: z.object({
    image: text,
    deploymentId: count,
    previousImage: text,
    infraCommit: text,
    bumped: flag.describe('false: the manifest already had this image'),
    ...sync,
    error: text,
    revision: text.describe('External deploys: the synced revision'),
    source: z.literal('external').optional().describe('A deploy Runway did not make'),
    initiatedBy: text.describe('External deploys: who started the sync, or `automated`'),
    phase: text.describe("External deploys: the Argo CD operation's phase"),
    gitlabDeployment: count.describe('External deploys: the GitLab deployment recorded'),
  }),
  canary: z.object({
    rollout: text.describe('namespace/name of the Rollout'),
    step: text,
    weight: count,
    canaryPods: count,
    totalPods: count,
    canaryHash: text,
    stableHash: text,
    phase: text,
    gate: z.literal('waiting').optional().describe("Waiting for an approver's Promote"),
    steps: text.describe('The steps passed, one per line'),
    lastAction: text,
    commandBy: text.describe('Who gave the last approver command (Promote, Promote fully, Abort): a user id'),
    readError: text,
    failedCheck: text,
    threshold: text,
    values: text,
    aborted: text,
    summary: text,
    error: text,
  }),
  verify: z.object({
    checks: text,
    evaluations: text.describe('done/total'),
    summary: text,
    failedCheck: text,
    threshold: text,
    values: text,
    queryUrl: text,
    error: text,
  }),
  soak: z.object({ until: text, summary: text }),
  rollback: z.object({ to: text, from: text, infraCommit: text, ...sync, supersededBy: text, error: text }),
} satisfies Record<StageKind, z.ZodObject>;

const DETAILS = {
  ...STAGE_DETAIL_FIELDS,
  canary: STAGE_DETAIL_FIELDS.canary.and(checkValues),
  verify: STAGE_DETAIL_FIELDS.verify.and(checkValues),
};

const common = {
  environment: z.string().optional(),
  state: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
};

function stageSchema<K extends StageKind>(kind: K) {
  const name = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}Stage`;
  return z.object({ kind: z.literal(kind), ...common, details: DETAILS[kind] }).openapi(name);
}

export const StageSchema = z
  .discriminatedUnion('kind', [
    stageSchema('image'),
    stageSchema('approval'),
    stageSchema('window'),
    stageSchema('queue'),
    stageSchema('deploy'),
    stageSchema('canary'),
    stageSchema('verify'),
    stageSchema('soak'),
    stageSchema('rollback'),
  ])
  .openapi('Stage', {
    description:
      'A step of the timeline; `details` depend on `kind`. Every detail is optional: older releases lack newer ' +
      'ones, and a timeline shortened to fit the memo (`memoTruncated`) keeps only a few.',
  });

// Compile-time: each schema names exactly the fields of its domain type (index signatures aside), so the
// document cannot drift from what the workflows write.
type NamedKeys<T> = keyof { [K in keyof T as string extends K ? never : K extends CheckValuesKey ? never : K]: T[K] };
type SameKeys<A, B> = [Exclude<NamedKeys<A>, NamedKeys<B>>, Exclude<NamedKeys<B>, NamedKeys<A>>] extends [never, never]
  ? true
  : [Exclude<NamedKeys<A>, NamedKeys<B>> | Exclude<NamedKeys<B>, NamedKeys<A>>];
const detailsMatchDomain: {
  [K in StageKind]: SameKeys<z.infer<(typeof DETAILS)[K]>, StageDetailsByKind[K]>;
} = {
  image: true,
  approval: true,
  window: true,
  queue: true,
  deploy: true,
  canary: true,
  verify: true,
  soak: true,
  rollback: true,
};
void detailsMatchDomain;
