// What every route handler can reach.
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { RunwayConfig } from '../config/schema.js';
import type { ReleaseService } from './release-service.js';

export interface ApiContext {
  config: RunwayConfig;
  client: Client;
  releases: ReleaseService;
  logger: Logger;
  /** Base URL the API is reached at, for status links (e.g. http://localhost:8080). */
  publicUrl: string;
}
