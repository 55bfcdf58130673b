// The parts of GitLab's Merge Request Hook and Pipeline Hook that Runway reads. Loose on purpose: GitLab adds
// fields over time, and old versions omit some (the 2017 payload has no event_type, no user.id, no project.id:
// the project is then matched by path_with_namespace). Ids are bounded integers, so `1e300` or `-1` is no iid.
import { z } from 'zod';

/** GitLab's ids and iids are positive database integers (int4 for iids, int8 for ids; JSON-safe here). */
const iid = z.number().int().min(1).max(2_147_483_647);
const id = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const project = z.looseObject({
  id: id.optional(),
  path_with_namespace: z.string().min(1).max(1000),
  web_url: z.string().max(2000).optional(),
});

export const mergeRequestHook = z.looseObject({
  object_kind: z.literal('merge_request'),
  user: z.looseObject({ username: z.string().optional(), name: z.string().optional() }).optional(),
  project,
  object_attributes: z.looseObject({
    iid,
    title: z.string().max(1000).default(''),
    action: z.string().optional(),
    state: z.string().optional(),
    target_branch: z.string().min(1).max(255),
    url: z.string().optional(),
    merge_commit_sha: z.string().nullish(),
    squash_commit_sha: z.string().nullish(),
    last_commit: z.looseObject({ id: z.string() }).optional(),
  }),
});
export type MergeRequestHook = z.infer<typeof mergeRequestHook>;

export const pipelineHook = z.looseObject({
  object_kind: z.literal('pipeline'),
  project,
  object_attributes: z.looseObject({
    id,
    sha: z.string(),
    ref: z.string().optional(),
    status: z.string(),
    url: z.string().optional(),
  }),
  builds: z
    .array(
      z.looseObject({
        id,
        name: z.string(),
        stage: z.string().optional(),
        status: z.string(),
        allow_failure: z.boolean().optional(),
      }),
    )
    .default([]),
});
export type PipelineHook = z.infer<typeof pipelineHook>;

/** Which field made a payload unusable, e.g. `object_attributes.iid: expected an integer from 1`. */
export function payloadProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unreadable payload';
  const where = issue.path.map(String).join('.') || 'body';
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where} is missing`;
  return `${where}: ${issue.message}`;
}
