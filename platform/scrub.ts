// Masks secrets inside free text (error messages, stacks, log messages): the one place that does it, for logs
// and for the integrations' error messages alike. Redaction by key only covers structured fields; tokens also
// end up in URLs and in messages of failed HTTP calls.
const PATTERNS: [RegExp, string][] = [
  // Authorization header values
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  // credentials in URLs: https://user:secret@host, https://token@host (git remotes)
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1[redacted]@'],
  // query strings and key=value pairs
  [
    /\b(private_token|access_token|refresh_token|token|password|passwd|secret|client_secret|api_key|apikey)=[^&\s"']+/gi,
    '$1=[redacted]',
  ],
  // headers or YAML-ish "key: value" lines
  [/\b(x-gitlab-token|private-token|authorization|x-api-key)\s*:\s*[^\s,;]+(\s+[^\s,;]+)?/gi, '$1: [redacted]'],
  // JSON fields
  [/("(?:token|password|secret|botToken|signingSecret|webhookSecret|apiKey)"\s*:\s*")[^"]*"/gi, '$1[redacted]"'],
  // well-known token shapes: GitLab, Slack, GitHub
  [/\bglpat-[A-Za-z0-9_-]{10,}/g, '[redacted]'],
  [/\bxox[a-z]-[A-Za-z0-9-]+/g, '[redacted]'],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, '[redacted]'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, '[redacted]'],
];

export function scrubSecrets(text: string): string {
  return PATTERNS.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

/** The client's own secrets (a token, a password) wherever they appear, then every shape scrubSecrets knows. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return scrubSecrets(out);
}

/** The loggable part of an error: name and scrubbed message (never the raw error object). */
export function errorFields(err: unknown): { name: string; message: string; type?: string } {
  if (!(err instanceof Error)) return { name: 'Error', message: scrubSecrets(String(err)) };
  const type = (err as { type?: unknown }).type;
  return { name: err.name, message: scrubSecrets(err.message), ...(typeof type === 'string' ? { type } : {}) };
}
