// The routes that are not `app.openapi` routes (probes, the Prometheus exposition, GitLab's webhook, Slack's
// endpoints) in the OpenAPI document too, so it lists every route the API answers.
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorSchema, json } from './schemas.js';

const text = (description: string) => ({ content: { 'text/plain': { schema: z.string() } }, description });
const tooLarge = { 413: json(ErrorSchema, 'Request body over the limit') };

export function documentPlainRoutes(app: OpenAPIHono, options: { slack: boolean }): void {
  const register = app.openAPIRegistry.registerPath.bind(app.openAPIRegistry);
  register({
    method: 'get',
    path: '/healthz',
    operationId: 'getLiveness',
    tags: ['health'],
    summary: 'Liveness: the process answers',
    responses: { 200: json(z.object({ status: z.literal('ok') }), 'Alive') },
  });
  register({
    method: 'get',
    path: '/readyz',
    operationId: 'getReadiness',
    tags: ['health'],
    summary: 'Readiness: Temporal answers within a second',
    responses: {
      200: json(z.object({ status: z.literal('ready'), temporal: z.string() }), 'Ready'),
      503: json(
        z.object({ status: z.literal('not_ready'), temporal: z.string().optional() }),
        'Temporal unreachable (Retry-After)',
      ),
    },
  });
  register({
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    tags: ['metrics'],
    summary: 'Prometheus exposition: release, API and DORA metrics',
    responses: { 200: text('Prometheus text format') },
  });
  register({
    method: 'post',
    path: '/webhooks/gitlab',
    operationId: 'receiveGitLabWebhook',
    tags: ['webhooks'],
    summary: 'GitLab merge request and pipeline events (X-Gitlab-Token = gitlab.webhookSecret); see docs/api.md',
    responses: {
      200: json(z.object({}).passthrough(), 'Handled, ignored or already seen'),
      202: json(z.object({}).passthrough(), 'A release was started'),
      400: json(ErrorSchema, 'The body is not JSON'),
      401: json(ErrorSchema, 'Missing or wrong X-Gitlab-Token'),
      ...tooLarge,
      503: json(ErrorSchema, 'Temporal is unreachable (Retry-After): GitLab retries'),
    },
  });
  if (!options.slack) return;
  for (const [path, operationId, summary] of [
    ['/slack/commands', 'receiveSlackCommand', 'Slack slash command `/runway …` (signed with slack.signingSecret)'],
    [
      '/slack/interactions',
      'receiveSlackInteraction',
      'Slack buttons: approve, reject (signed with slack.signingSecret)',
    ],
  ] as const) {
    register({
      method: 'post',
      path,
      operationId,
      tags: ['slack'],
      summary,
      responses: {
        200: text('Acknowledged within Slack’s 3 seconds; the answer follows in the channel'),
        401: json(ErrorSchema, 'Bad or stale signature'),
        ...tooLarge,
      },
    });
  }
}
