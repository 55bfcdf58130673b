// OpenAPI schemas of the REST API (the OpenAPI document is generated from these).
import { z } from '@hono/zod-openapi';
import { RELEASE_STATUSES } from '../../domain/types.js';
import { COMMIT_SHA_PATTERN, NAME_PATTERN } from '../../domain/ids.js';
import { StageSchema } from './stage-schemas.js';

export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');

export const ReleaseSummarySchema = z
  .object({
    releaseId: z.string(),
    workflowType: z.string(),
    service: z.string().optional(),
    commit: z.string().optional(),
    status: z.string().optional(),
    stage: z.string().optional(),
    environment: z.string().optional(),
    startedAt: z.string().optional(),
    closedAt: z.string().optional(),
    temporalStatus: z.string(),
  })
  .openapi('ReleaseSummary');

export const ReleaseNotesSchema = z
  .object({
    environment: z.string(),
    from: z.string().optional(),
    to: z.string(),
    changes: z.array(
      z.object({
        ref: z.string(),
        title: z.string(),
        author: z.string().optional(),
        url: z.string().optional(),
        firstCommitAt: z.string().optional(),
      }),
    ),
    more: z.number(),
    commitCount: z.number(),
    compareUrl: z.string().optional(),
    commitDates: z.array(z.string()).optional(),
    unavailable: z.string().optional(),
  })
  .openapi('ReleaseNotes');

export const TimelineSchema = z
  .object({
    releaseId: z.string(),
    service: z.string(),
    commit: z.string(),
    status: z.enum(RELEASE_STATUSES),
    stage: z.string(),
    stages: z.array(StageSchema),
    warnings: z.array(z.string()),
    error: z.string().optional(),
    links: z.record(z.string(), z.string()),
    actions: z
      .array(
        z.object({
          action: z.enum(['deploy', 'rollback', 'approve', 'reject', 'cancel', 'promote', 'promote-full', 'abort']),
          by: z.string(),
          environment: z.string().optional(),
          at: z.string(),
        }),
      )
      .optional()
      .describe('Who asked for what: the deploy or rollback, decisions, cancellation'),
    notes: z.array(ReleaseNotesSchema).optional().describe('What the release brings to each environment'),
    memoTruncated: z.literal(true).optional().describe('Notes or stage details were left out to fit the memo'),
    readFrom: z
      .enum(['worker', 'memo', 'search-attributes'])
      .describe(
        'memo: what Temporal stores for the release (no worker asked; may be a few seconds old); worker: its ' +
          'status query; search-attributes: the worker was busy and the release predates the memo (status and stage only)',
      ),
  })
  .openapi('Timeline');

export const StartedSchema = z
  .object({ releaseId: z.string(), statusUrl: z.string(), created: z.boolean() })
  .openapi('StartedRelease');

export const DecisionSchema = z
  .object({ environment: z.string(), decision: z.enum(['approved', 'rejected']), by: z.string(), at: z.string() })
  .openapi('Decision');

export const PendingDecisionSchema = z
  .object({
    pending: z.literal(true),
    releaseId: z.string(),
    updateId: z.string().describe('The Temporal update holding the decision (one per request)'),
    environment: z.string(),
    decision: z.enum(['approved', 'rejected']),
    by: z.string(),
    statusUrl: z.string().describe('Where the outcome shows (the approval stage of the timeline)'),
  })
  .openapi('PendingDecision');

export const ServiceVersionsSchema = z
  .object({
    service: z.string(),
    environments: z.array(
      z.object({
        environment: z.string(),
        image: z.string().optional(),
        releaseId: z.string().optional(),
        deployedAt: z.string().optional(),
      }),
    ),
  })
  .openapi('ServiceVersions');

export const DoraReportSchema = z
  .object({
    service: z.string().nullable(),
    window: z.string(),
    from: z.string(),
    to: z.string(),
    windowDays: z.number(),
    deploymentFrequency: z.object({ deploys: z.number().int(), perDay: z.number() }),
    leadTime: z.object({
      samples: z.number().int(),
      medianSeconds: z.number().nullable(),
      p90Seconds: z.number().nullable(),
    }),
    changeFailureRate: z.object({ deploys: z.number().int(), failures: z.number().int(), rate: z.number().nullable() }),
    timeToRestore: z.object({
      samples: z.number().int(),
      unrestored: z.number().int(),
      medianSeconds: z.number().nullable(),
    }),
    meanTimeToRecovery: z
      .object({
        samples: z.number().int(),
        open: z.number().int(),
        meanSeconds: z.number().nullable(),
        medianSeconds: z.number().nullable(),
        byEnvironment: z.record(
          z.string(),
          z.object({ samples: z.number().int(), meanSeconds: z.number().nullable() }),
        ),
      })
      .describe('MTTR from real incidents between releases (Degraded/Missing → Healthy), see docs/watch.md'),
    releasesScanned: z.number().int(),
    unavailable: z.number().int(),
    truncated: z.boolean(),
  })
  .openapi('DoraReport');

/** Names as runway.yaml allows them (lowercase, digits, dashes): anything else cannot be configured. */
export const NameSchema = z.string().regex(NAME_PATTERN, 'lowercase letters, digits and dashes, as runway.yaml names');

/** A full commit id, 40 hex digits (or 64 in a SHA-256 repository). */
export const CommitShaSchema = z
  .string()
  .regex(new RegExp(COMMIT_SHA_PATTERN.source, 'i'), 'a full commit sha: 40 hex digits (64 in SHA-256 repositories)');

export const ReleaseIdParam = z.object({
  id: z
    .string()
    .max(300)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'release/payments/0123abcd…' }),
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

export const errors = {
  400: json(ErrorSchema, 'Invalid request'),
  401: json(ErrorSchema, 'Missing or unknown token'),
  403: json(ErrorSchema, 'The token lacks the role'),
  404: json(ErrorSchema, 'Not found'),
  409: json(ErrorSchema, 'Refused in the current state'),
  // bodyLimit on /api/* (api/app.ts), with Connection: close.
  413: json(ErrorSchema, 'Request body over the limit'),
  // Every /api route needs Temporal: answered within the request deadline while it is down, with Retry-After.
  503: json(ErrorSchema, 'Temporal is unreachable (Retry-After)'),
  // Temporal is up but too busy to answer within the request's deadline: never reported as an outage.
  504: json(ErrorSchema, 'Temporal is up but did not answer in time (temporal_slow, names the workflow)'),
} as const;
