// Error types that must not be retried: retrying a 401, a missing manifest field or a failed health
// check only delays the inevitable (and the rollback).
export const PERMANENT_ERROR_TYPES = [
  'ConfigError',
  'UnknownServiceError',
  'ManifestTargetError',
  'PermanentInfraError',
  'PermanentGitLabError',
  'PermanentArgoCdError',
  'PermanentSlackError',
  'RegistryAuthError',
  'InvalidImageReference',
  'HealthCheckFailed',
  'HealthTimeout',
  'PermanentError',
] as const;

export function isPermanentErrorName(name: string): boolean {
  return (PERMANENT_ERROR_TYPES as readonly string[]).includes(name);
}

/** A user-caused or otherwise final failure; activities turn it into a non-retryable ApplicationFailure. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
