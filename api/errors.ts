// One JSON error shape for every door: { error: { code, message } }.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError } from '../config/load.js';
import { UnknownServiceError } from '../config/plan.js';
import { ConflictError, DecisionRefusedError, NotFoundError } from './release-service.js';
import { InvalidRequestError } from './rollback-target.js';

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function errorBody(code: string, message: string): ApiErrorBody {
  return { error: { code, message } };
}

/** Maps domain errors to HTTP; anything unexpected is a 500 whose details stay in the logs. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof NotFoundError || err instanceof UnknownServiceError)
    return new HttpError(404, 'not_found', err.message);
  if (err instanceof DecisionRefusedError) return new HttpError(409, 'decision_refused', err.message);
  if (err instanceof ConflictError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof ConfigError || err instanceof InvalidRequestError)
    return new HttpError(400, 'invalid_request', err.message);
  return new HttpError(500, 'internal', 'internal error; see the server logs');
}

export function sendError(c: Context, err: unknown) {
  const http = toHttpError(err);
  return c.json(errorBody(http.code, http.message), http.status);
}
