// Child loggers for lines about a release: every such line carries releaseId, service and (when it
// is about one environment) environment, so logs can be filtered like the Temporal UI.
import type { Logger } from 'pino';

export interface ReleaseLogFields {
  releaseId?: string;
  service?: string;
  environment?: string;
}

/**
 * What a workflow id says: release/<service>/<sha>, rollback/<service>/<env>/<ms>, service-lock/<service>,
 * service-lock/<service>/<env>.
 */
export function releaseFieldsFromId(id: string | undefined): ReleaseLogFields {
  if (!id) return {};
  const parts = id.split('/');
  if (parts[0] === 'release' && parts.length === 3) return { releaseId: id, service: parts[1] };
  if (parts[0] === 'rollback' && parts.length === 4) return { releaseId: id, service: parts[1], environment: parts[2] };
  if (parts[0] === 'service-lock' && parts.length === 2) return { service: parts[1] };
  if (parts[0] === 'service-lock' && parts.length === 3) return { service: parts[1], environment: parts[2] };
  return {};
}

/** Drops undefined fields, so a line never says `"environment": undefined`. */
export function definedFields(fields: ReleaseLogFields): ReleaseLogFields {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== ''));
}

export function releaseLogger(logger: Logger, fields: ReleaseLogFields): Logger {
  return logger.child(definedFields(fields));
}
