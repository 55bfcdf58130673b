// One configured gitbeaker client and a wrapper that maps each call's failure, shared by the GitLab
// port and the GitLab infra-repo driver.
import { Gitlab } from '@gitbeaker/rest';
import { toGitLabError } from './gitlab-errors.js';
import { singleTryRequester } from './gitlab-requester.js';

export interface GitLabConnectionOptions {
  /** Base URL of the GitLab instance, e.g. `https://gitlab.example.com` (without `/api/v4`). */
  url: string;
  token: string;
  /** Bound on one API call, gitbeaker's own retries and followed pages included. Default 30 s. */
  requestTimeoutMs?: number;
}

// Timeouts and retries. gitbeaker's own retry loop (43.8: 429/502 re-sent 10 times ~0.26 s apart, POSTs
// included, Retry-After ignored) is replaced by a single-try requester (gitlab-requester.ts): one retry layer,
// Temporal's, which gets GitLab's Retry-After through GitLabError.retryAfterMs (activities/failures.ts), and
// whose callers look for what a lost reply already created before writing again.
// queryTimeout becomes one AbortSignal per call, shared by all pages of a list call, so it bounds a call end
// to end; an activity's startToCloseTimeout must cover the calls it makes times this bound (the infra driver
// makes up to 11 on a contended branch). 30 s fails a hung connection well inside a minutes-long activity
// timeout. gitbeaker's client-side limiter (rateLimits, rateLimitDuration: 3000/min per resource, per process)
// stays at its default: it cannot see the server's per-user budget, and Runway makes a handful of calls per
// release.
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface GitLabConnection {
  api: Gitlab;
  /** Runs one API call, turning any failure into PermanentGitLabError or GitLabError. */
  call: <T>(operation: string, request: () => Promise<T>) => Promise<T>;
  /** Maps a failure the caller caught itself. */
  mapError: (err: unknown, operation: string) => Error;
}

export function connectGitLab(options: GitLabConnectionOptions): GitLabConnection {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const api = new Gitlab({
    host: options.url.replace(/\/+$/, ''),
    token: options.token,
    queryTimeout: timeoutMs,
    requesterFn: singleTryRequester,
  });
  const mapError = (err: unknown, operation: string) => toGitLabError(err, operation, options.token, timeoutMs);
  return {
    api,
    mapError,
    call: async <T>(operation: string, request: () => Promise<T>): Promise<T> => {
      try {
        return await request();
      } catch (err) {
        throw mapError(err, operation);
      }
    },
  };
}
