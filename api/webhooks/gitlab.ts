// POST /webhooks/gitlab. GitLab counts every non-2xx against the hook and eventually disables it,
// so only real misconfiguration (wrong token) and unreadable bodies get a 4xx; everything Runway
// merely does not act on is a 202 `{ignored: reason}`. It never waits for a release, only for its start.
import { releaseLinks } from '../release-links.js';
import { Hono } from 'hono';
import type { ApiContext } from '../context.js';
import { errorBody } from '../errors.js';
import type { PipelineState } from '../../domain/types.js';
import { findService } from '../../config/schema.js';
import { isCommitSha, releaseId as makeReleaseId } from '../../domain/ids.js';
import {
  mergeRequestHook,
  payloadProblem,
  pipelineHook,
  type MergeRequestHook,
  type PipelineHook,
} from './gitlab-payloads.js';
import { IdempotencyCache } from './idempotency.js';
import { readLimitedBody } from './read-body.js';
import { countWebhook, webhookEventLabel, type WebhookOutcome } from '../../platform/api-metrics.js';
import { releaseLogger } from '../../platform/release-log.js';
import { sameSecret } from '../../platform/constant-time.js';

export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** Constant-time comparison of the webhook secret (platform/constant-time.ts). */
export const tokenMatches = sameSecret;

/**
 * Services of a project, by path (every payload has one; 2017-era ones only that; GitLab paths are
 * case-insensitive) or numeric id.
 */
function servicesFor(ctx: ApiContext, project: { id?: number; path_with_namespace: string }): string[] {
  const path = project.path_with_namespace.toLowerCase();
  return Object.entries(ctx.config.services)
    .filter(
      ([, s]) =>
        s.gitlab.project.toLowerCase() === path ||
        (project.id !== undefined && s.gitlab.project === String(project.id)),
    )
    .map(([name]) => name);
}

export function gitlabWebhookRoutes(ctx: ApiContext): Hono {
  const app = new Hono();
  const seen = new IdempotencyCache<{ status: number; body: unknown }>(10_000);
  // Releases this process has started or seen: a redelivery without an Idempotency-Key is answered without a
  // round trip to Temporal (the server-side id policy stays the real guarantee).
  const known = new IdempotencyCache<true>(50_000);

  app.post('/gitlab', async (c) => {
    const count = (outcome: WebhookOutcome) => countWebhook(webhookEventLabel(c.req.header('x-gitlab-event')), outcome);
    const secret = ctx.config.gitlab?.webhookSecret;
    if (!secret) {
      count('unauthorized');
      return c.json(errorBody('unauthorized', 'no gitlab.webhookSecret is configured'), 401);
    }
    const presented = c.req.header('x-gitlab-token');
    if (presented === undefined || presented === '') {
      count('unauthorized');
      return c.json(errorBody('unauthorized', 'missing X-Gitlab-Token (set the secret token of the webhook)'), 401);
    }
    if (!tokenMatches(presented, secret)) {
      count('unauthorized');
      return c.json(errorBody('unauthorized', 'wrong X-Gitlab-Token'), 401);
    }
    const body = await readLimitedBody(c.req.raw.body, WEBHOOK_BODY_LIMIT);
    if (!body.ok) {
      count('too_large');
      return c.json(errorBody('payload_too_large', `body over ${WEBHOOK_BODY_LIMIT} bytes`), 413);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body.text);
    } catch {
      count('invalid');
      return c.json(errorBody('invalid_json', 'the body is not valid JSON'), 400);
    }
    const key = c.req.header('idempotency-key');
    const earlier = key ? seen.get(key) : undefined;
    if (earlier) {
      count('redelivered');
      return c.json(earlier.body as object, 200);
    }

    const event = c.req.header('x-gitlab-event') ?? '';
    const answer = await handleEvent(ctx, event, payload, known).catch((err: unknown) => {
      count('error');
      throw err;
    });
    count(answerOutcome(answer));
    if (key && answer.status < 300) seen.set(key, answer);
    return c.json(answer.body as object, answer.status as 200 | 202);
  });
  return app;
}

/** What an answer of handleEvent means, for runway_webhooks_total. */
function answerOutcome(answer: { status: number; body: unknown }): WebhookOutcome {
  const body = answer.body as Record<string, unknown>;
  if ('ignored' in body) return 'ignored';
  if ('signalled' in body) return 'signalled';
  return answer.status === 202 ? 'started' : 'redelivered';
}

async function handleEvent(
  ctx: ApiContext,
  event: string,
  payload: unknown,
  known: IdempotencyCache<true>,
): Promise<{ status: number; body: unknown }> {
  const ignored = (reason: string) => ({ status: 202, body: { ignored: reason } });
  if (event === 'Merge Request Hook') {
    const parsed = mergeRequestHook.safeParse(payload);
    if (!parsed.success) return ignored(`merge request payload unusable: ${payloadProblem(parsed.error)}`);
    return onMerge(ctx, parsed.data, ignored, known);
  }
  if (event === 'Pipeline Hook') {
    const parsed = pipelineHook.safeParse(payload);
    if (!parsed.success) return ignored(`pipeline payload unusable: ${payloadProblem(parsed.error)}`);
    return onPipeline(ctx, parsed.data, ignored);
  }
  return ignored(`event "${event || 'none'}" is not handled`);
}

async function onMerge(
  ctx: ApiContext,
  hook: MergeRequestHook,
  ignored: (reason: string) => { status: number; body: unknown },
  known: IdempotencyCache<true>,
): Promise<{ status: number; body: unknown }> {
  const mr = hook.object_attributes;
  if (mr.action !== 'merge') return ignored(`merge request action "${mr.action ?? 'none'}" is not a merge`);
  const services = servicesFor(ctx, hook.project).filter((name) =>
    findService(ctx.config, name)!.triggerBranches.includes(mr.target_branch),
  );
  if (services.length === 0) {
    return ignored(`no service releases ${hook.project.path_with_namespace} on ${mr.target_branch}`);
  }
  // Fast-forward and squash merges may have no merge commit: the branch head is then the last commit.
  const field = mr.merge_commit_sha
    ? 'merge_commit_sha'
    : mr.squash_commit_sha
      ? 'squash_commit_sha'
      : mr.last_commit?.id
        ? 'last_commit.id'
        : undefined;
  const sha = mr.merge_commit_sha ?? mr.squash_commit_sha ?? mr.last_commit?.id;
  if (!sha || !field) return ignored('object_attributes.merge_commit_sha is missing (and no squash or last commit)');
  if (!isCommitSha(sha)) {
    return ignored(`object_attributes.${field} is not a full commit sha (40 or 64 lowercase hex digits)`);
  }

  const releases = await Promise.all(
    services.map(async (service) => {
      const plan = ctx.releases.plan(service, {
        sha,
        ref: mr.target_branch,
        title: mr.title,
        mergeRequest: {
          iid: mr.iid,
          title: mr.title,
          url: mr.url ?? `${hook.project.web_url ?? ''}/-/merge_requests/${mr.iid}`,
        },
        triggeredBy: hook.user?.username,
      });
      if (!plan.project.webUrl && hook.project.web_url) plan.project.webUrl = hook.project.web_url;
      plan.links = releaseLinks(ctx.config, ctx.publicUrl, plan.releaseId);
      const created = known.get(plan.releaseId) ? false : (await ctx.releases.start(plan)).created;
      known.set(plan.releaseId, true);
      releaseLogger(ctx.logger, { releaseId: plan.releaseId, service }).info(
        { created, mergeRequest: mr.iid },
        created ? 'release started' : 'redelivery: release exists',
      );
      return { releaseId: plan.releaseId, statusUrl: statusUrl(ctx, plan.releaseId), created };
    }),
  );
  const anyCreated = releases.some((r) => r.created);
  const body = releases.length === 1 ? { ...releases[0], releases } : { releases };
  return { status: anyCreated ? 202 : 200, body };
}

const PIPELINE_STATES: Record<string, PipelineState> = {
  created: 'pending',
  waiting_for_resource: 'pending',
  preparing: 'pending',
  pending: 'pending',
  scheduled: 'pending',
  manual: 'pending',
  running: 'running',
  success: 'success',
  failed: 'failed',
  canceled: 'canceled',
  canceling: 'canceled',
  skipped: 'skipped',
};

async function onPipeline(
  ctx: ApiContext,
  hook: PipelineHook,
  ignored: (reason: string) => { status: number; body: unknown },
): Promise<{ status: number; body: unknown }> {
  const services = servicesFor(ctx, hook.project);
  if (services.length === 0) return ignored(`no service is built by ${hook.project.path_with_namespace}`);
  if (!isCommitSha(hook.object_attributes.sha)) {
    return ignored('object_attributes.sha is not a full commit sha (40 or 64 lowercase hex digits)');
  }
  const status = PIPELINE_STATES[hook.object_attributes.status] ?? 'running';
  // builds[] has no web_url: GitLab's job page is <project>/-/jobs/<id>.
  const failed = hook.builds.filter((b) => b.status === 'failed' && !b.allow_failure).sort((a, b) => a.id - b.id)[0];
  const failedJob =
    failed && hook.project.web_url
      ? { name: failed.name, stage: failed.stage, url: `${hook.project.web_url}/-/jobs/${failed.id}` }
      : undefined;
  const event = { pipelineId: hook.object_attributes.id, status, failedJob };
  const signalled: string[] = [];
  for (const service of services) {
    if (await ctx.releases.signalPipeline(service, hook.object_attributes.sha, event)) {
      signalled.push(service);
      releaseLogger(ctx.logger, { releaseId: makeReleaseId(service, hook.object_attributes.sha), service }).info(
        { pipelineId: event.pipelineId, pipelineStatus: status },
        'pipeline event forwarded',
      );
    }
  }
  if (signalled.length === 0) return ignored(`no release is waiting for ${hook.object_attributes.sha.slice(0, 8)}`);
  return { status: 202, body: { signalled: signalled.map((s) => makeReleaseId(s, hook.object_attributes.sha)) } };
}

export function statusUrl(ctx: ApiContext, releaseId: string): string {
  return `${ctx.publicUrl}/api/releases/${encodeURIComponent(releaseId)}`;
}
