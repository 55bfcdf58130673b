// gitbeaker's requester without its built-in retry loop. @gitbeaker/rest 43.8 re-sends every request (POSTs
// included) on 429/502 up to 10 times, ~0.26 s apart, ignoring Retry-After: a 502 answered *after* GitLab
// created a deployment or note became a second one. Here each call is one HTTP request; a failure surfaces as
// GitbeakerRequestError (status, headers and body kept) and the activity's Temporal retry is the one retry
// layer, after the caller looked for what the lost reply may have created.
import {
  createRequesterFn,
  getMatchingRateLimiter,
  GitbeakerRequestError,
  GitbeakerTimeoutError,
  type RateLimiters,
} from '@gitbeaker/requester-utils';

async function parseBody(response: Response, asStream: boolean): Promise<unknown> {
  if (asStream) return response.body;
  if (response.status === 204) return null;
  const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (type === 'application/json') return (await response.json()) || {};
  if (type.startsWith('text/')) return (await response.text()) || '';
  return response.blob();
}

/** GitLab's error text: `error` or `message` of a JSON body, else the body itself (as gitbeaker reports it). */
async function describeFailure(response: Response): Promise<string> {
  const content = await response.text();
  if (!(response.headers.get('content-type') ?? '').includes('application/json')) return content;
  try {
    const output = JSON.parse(content) as { error?: unknown; message?: unknown } | null;
    const property = output?.error ?? output?.message ?? '';
    return typeof property === 'string' ? property : JSON.stringify(property);
  } catch {
    return content;
  }
}

async function singleRequest(endpoint: string, options: Record<string, unknown> = {}) {
  const {
    rateLimiters,
    asStream,
    prefixUrl,
    searchParams,
    method,
    agent: _agent,
    ...init
  } = options as {
    rateLimiters?: RateLimiters;
    asStream?: boolean;
    prefixUrl?: string;
    searchParams?: string;
    method?: string;
    agent?: unknown;
  } & RequestInit;
  const base = prefixUrl ? (prefixUrl.endsWith('/') ? prefixUrl : `${prefixUrl}/`) : undefined;
  const url = new URL(endpoint, base);
  url.search = searchParams ?? '';
  // gitbeaker's client-side limiter (3000/min per resource by default) still applies.
  await getMatchingRateLimiter(endpoint, rateLimiters, method)();
  const request = new Request(url, { ...init, method });
  const response = await fetch(request).catch((err: Error) => {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') {
      throw new GitbeakerTimeoutError('Query timeout was reached');
    }
    throw err;
  });
  if (!response.ok) {
    const description = await describeFailure(response);
    throw new GitbeakerRequestError(description, { cause: { description, request, response } });
  }
  return {
    body: (await parseBody(response, asStream ?? false)) as never,
    headers: Object.fromEntries(response.headers.entries()),
    status: response.status,
  };
}

/** Pass as `requesterFn` to gitbeaker's `Gitlab`. */
export const singleTryRequester = createRequesterFn(
  (_, requestOptions) => Promise.resolve(requestOptions),
  singleRequest,
);
