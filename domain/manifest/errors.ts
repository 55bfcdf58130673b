// The error for a manifest target that is missing, ambiguous or unreadable: a configuration problem a
// retry cannot fix, so callers mark it non-retryable by its `name`.
export class ManifestTargetError extends Error {
  override name = 'ManifestTargetError';
}
