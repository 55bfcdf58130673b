// Error types of the registry client. The names matter: Temporal retries by error name, and
// `RegistryAuthError` is listed as permanent in domain/errors.ts while `RegistryError` is retried.

/** Credentials missing, wrong, or without pull access: retrying will not help. */
export class RegistryAuthError extends Error {
  override name = 'RegistryAuthError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The registry or its token service is unreachable, overloaded or failing: worth retrying. */
export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A short, secret-free description of a fetch failure (undici hides the real cause in `cause`). */
export function describeFetchFailure(err: unknown, timeoutMs: number): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail ? `${err.message} (${detail})` : err.message;
}
