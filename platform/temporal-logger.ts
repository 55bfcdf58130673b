// Routes the Temporal SDK's own log lines (worker lifecycle, "Activity failed", forwarded core logs)
// into pino, so they are JSON like Runway's, carry releaseId/service, and have secrets masked: the
// SDK logs a failed activity's error message verbatim.
import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { releaseFieldsFromId } from './release-log.js';
import { errorFields } from './scrub.js';

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

function fields(meta: LogMetadata = {}): Record<string, unknown> {
  // taskToken: long and useless to a reader
  const { error, taskToken: _taskToken, ...rest } = meta as Record<string, unknown>;
  const id = typeof rest.workflowId === 'string' ? rest.workflowId : undefined;
  return {
    ...releaseFieldsFromId(id),
    ...rest,
    ...(error !== undefined ? { err: errorFields(error) } : {}),
  };
}

export function temporalLogger(logger: Logger): TemporalLogger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata) =>
    logger[LEVELS[level] ?? 'info'](fields(meta), message);
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}
