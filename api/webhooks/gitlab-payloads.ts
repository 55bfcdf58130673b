// The parts of GitLab's Merge Request Hook and Pipeline Hook that Runway reads. Loose on purpose:
// GitLab adds fields over time, and old versions omit some (e.g. no event_type before 13.x).
import { z } from 'zod';

const project = z.looseObject({
  id: z.number(),
  path_with_namespace: z.string(),
  web_url: z.string().optional(),
});

export const mergeRequestHook = z.looseObject({
  object_kind: z.literal('merge_request'),
  user: z.looseObject({ username: z.string().optional(), name: z.string().optional() }).optional(),
  project,
  object_attributes: z.looseObject({
    iid: z.number(),
    title: z.string().default(''),
    action: z.string().optional(),
    state: z.string().optional(),
    target_branch: z.string(),
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
    id: z.number(),
    sha: z.string(),
    ref: z.string().optional(),
    status: z.string(),
    url: z.string().optional(),
  }),
  builds: z
    .array(
      z.looseObject({
        id: z.number(),
        name: z.string(),
        stage: z.string().optional(),
        status: z.string(),
        allow_failure: z.boolean().optional(),
      }),
    )
    .default([]),
});
export type PipelineHook = z.infer<typeof pipelineHook>;
