// Turns gitbeaker's errors into Runway's two kinds. The names matter: Temporal retries by error name, and
// `PermanentGitLabError` is listed as permanent in domain/errors.ts while `GitLabError` is retried.
import { GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import { describeFetchFailure } from './registry-errors.js';
import { redactSecrets } from '../platform/scrub.js';

/** 401, 403 or 404: a bad token, missing rights or a wrong project/file. Retrying will not help. */
export class PermanentGitLabError extends Error {
  override name = 'PermanentGitLabError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** 5xx, 429, a timeout or a dropped connection: worth retrying (by Temporal, after `retryAfterMs` if set). */
export class GitLabError extends Error {
  override name = 'GitLabError';
  constructor(
    message: string,
    readonly status?: number,
    /** GitLab's Retry-After on a 429 (or 503), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After in seconds or as an HTTP date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const PERMANENT_STATUSES = new Set([401, 403, 404]);

/** Status and GitLab's own message of a failed request, before mapping (to recognise e.g. a stale edit). */
export function gitlabFailure(err: unknown): { status?: number; description: string } {
  if (err instanceof GitbeakerRequestError && err.cause) {
    return { status: err.cause.response.status, description: err.cause.description };
  }
  return { description: err instanceof Error ? err.message : String(err) };
}

/**
 * Maps any failure of one API call. The message names the operation, method, path and status, and never the
 * token: gitbeaker's error keeps the Request (token header included) in `cause`, so nothing of it is chained.
 */
export function toGitLabError(err: unknown, operation: string, token: string, timeoutMs: number): Error {
  if (err instanceof PermanentGitLabError || err instanceof GitLabError) return err;
  const redact = (text: string) => redactSecrets(text, [token]);
  if (err instanceof GitbeakerRequestError && err.cause) {
    const { request, response, description } = err.cause;
    const where = `${request.method} ${new URL(request.url).pathname}`;
    const text = redact(`GitLab ${operation} (${where}) failed with ${response.status}: ${description}`);
    return PERMANENT_STATUSES.has(response.status)
      ? new PermanentGitLabError(text, response.status)
      : new GitLabError(text, response.status, retryAfterMs(response.headers.get('retry-after')));
  }
  if (err instanceof GitbeakerRetryError) return new GitLabError(redact(`GitLab ${operation}: ${err.message}`));
  if (err instanceof GitbeakerTimeoutError)
    return new GitLabError(`GitLab ${operation} timed out after ${timeoutMs} ms`);
  return new GitLabError(redact(`GitLab ${operation} failed: ${describeFetchFailure(err, timeoutMs)}`));
}
