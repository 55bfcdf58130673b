// The API's connection to Temporal: lazy, so the API starts (and answers 503, /readyz red) while Temporal is down
// and connects once it is back; and without the SDK's gRPC retry interceptor. Every API call has its own deadline
// (temporal-availability.ts) and the caller is told 503 + Retry-After, so a retry inside the SDK would only outlive
// the request, and its timers keep firing after the answer was sent.
import { Connection } from '@temporalio/client';
import type { RunwayConfig } from '../config/schema.js';
import { connectionOptions } from '../platform/temporal-connection-options.js';

export function apiConnection(temporal: RunwayConfig['temporal']): Connection {
  return Connection.lazy({ ...connectionOptions(temporal), interceptors: [] });
}
