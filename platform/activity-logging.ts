// Logs every activity call with the release it belongs to: start and finish at debug, failure at
// warn (with the attempt, so retries are visible). The release comes from the calling workflow's id
// or, for the service-lock workflow's activities, from the arguments.
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { errorFields } from './scrub.js';
import { releaseFieldsFromId, releaseLogger, type ReleaseLogFields } from './release-log.js';

type ActivityFn = (...args: never[]) => Promise<unknown>;

function activityInfo(): { workflowId?: string; activity?: string; attempt?: number } {
  try {
    const info = Context.current().info;
    return { workflowId: info.workflowExecution?.workflowId, activity: info.activityType, attempt: info.attempt };
  } catch {
    return {}; // called outside an activity (unit tests)
  }
}

/** releaseId / service / environment found in the first argument (plans, lock inputs, notifications). */
function fieldsFromArgument(arg: unknown): ReleaseLogFields {
  if (typeof arg === 'string') return releaseFieldsFromId(arg); // isWorkflowRunning(releaseId)
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as Record<string, unknown>;
  const timeline = a.timeline as Record<string, unknown> | undefined;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    releaseId: str(a.releaseId) ?? str(timeline?.releaseId),
    service: str(a.service) ?? str(timeline?.service),
    environment: str(a.environment),
  };
}

export function releaseFieldsOfCall(args: unknown[]): ReleaseLogFields & { activity?: string; attempt?: number } {
  const { workflowId, activity, attempt } = activityInfo();
  const fromId = releaseFieldsFromId(workflowId);
  const fromArg = fieldsFromArgument(args[0]);
  return {
    releaseId: fromId.releaseId ?? fromArg.releaseId,
    service: fromId.service ?? fromArg.service,
    environment: fromArg.environment ?? fromId.environment,
    activity,
    attempt,
  };
}

export function withActivityLogging<T extends Record<string, ActivityFn>>(activities: T, logger: Logger): T {
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [
      name,
      async (...args: never[]) => {
        const { activity = name, attempt, ...fields } = releaseFieldsOfCall(args);
        const log = releaseLogger(logger, fields).child({ activity, attempt });
        const started = Date.now();
        log.debug('activity started');
        try {
          const result = await fn(...args);
          log.debug({ durationMs: Date.now() - started }, 'activity finished');
          return result;
        } catch (err) {
          log.warn({ err: errorFields(err), durationMs: Date.now() - started }, 'activity failed');
          throw err;
        }
      },
    ]),
  ) as T;
}
