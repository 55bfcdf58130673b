// One JSON error shape for every door: { error: { code, message } }.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ConfigError } from '../config/load.js';
import { InvalidTriggerError, UnknownServiceError } from '../config/plan.js';
import {
  AlreadyEndedError,
  ConflictError,
  DecisionRefusedError,
  InvalidRequestError,
  NotFoundError,
} from './release-service.js';
import { ForbiddenError } from './permissions.js';
import { TemporalSlowError, TemporalUnavailableError } from './temporal-availability.js';

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

/** What Hono's own 4xx (a malformed JSON body, a body over the limit, …) mean to a client. */
function fromHonoException(err: HTTPException): HttpError {
  const status = err.status;
  if (status === 413) return new HttpError(413, 'payload_too_large', 'request body too large');
  if (status === 415)
    return new HttpError(400, 'invalid_request', 'the body must be JSON (Content-Type: application/json)');
  if (status >= 500) return new HttpError(500, 'internal', 'internal error; see the server logs');
  // Hono's messages are generic and safe ("Malformed JSON in request body"); keep them.
  return new HttpError(status, 'invalid_request', err.message || 'invalid request');
}

/** Maps domain errors to HTTP; anything unexpected is a 500 whose details stay in the logs. */
export function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof HTTPException) return fromHonoException(err);
  if (err instanceof NotFoundError || err instanceof UnknownServiceError)
    return new HttpError(404, 'not_found', err.message);
  if (err instanceof ForbiddenError) return new HttpError(403, 'forbidden', err.message);
  if (err instanceof AlreadyEndedError) return new HttpError(409, 'already_ended', err.message);
  if (err instanceof DecisionRefusedError) return new HttpError(409, 'decision_refused', err.message);
  if (err instanceof ConflictError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof InvalidTriggerError || err instanceof InvalidRequestError)
    return new HttpError(400, 'invalid_request', err.message);
  if (err instanceof ConfigError) return new HttpError(400, 'invalid_request', err.message);
  if (err instanceof TemporalUnavailableError) return new HttpError(503, 'temporal_unavailable', err.message);
  // Up but busy: the gateway (Runway) timed out waiting; nothing is wrong with the request or with Temporal.
  if (err instanceof TemporalSlowError) return new HttpError(504, 'temporal_slow', err.message);
  return new HttpError(500, 'internal', 'internal error; see the server logs');
}

export function sendError(c: Context, err: unknown) {
  const http = toHttpError(err);
  if (http.status === 503) c.header('Retry-After', '5');
  return c.json(errorBody(http.code, http.message), http.status);
}
