// Structured JSON logs. Secrets are redacted by key wherever they appear in logged objects (up to
// three levels deep), and masked inside error messages and log messages (see scrub.ts).
import { pino, stdSerializers, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { prettyDestination, wantsPrettyLogs } from './pretty-log.js';
import { scrubSecrets } from './scrub.js';

export const REDACTED_KEYS = [
  'token',
  'password',
  'botToken',
  'appToken',
  'signingSecret',
  'secret',
  'clientSecret',
  'accessToken',
  'refreshToken',
  'privateKey',
  'apiKey',
  'webhookSecret',
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'x-gitlab-token',
  'X-Gitlab-Token',
  'private-token',
  'PRIVATE-TOKEN',
];

// Bracket notation, because header names contain dashes.
const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => ['', '*.', '*.*.', '*.*.*.'].map((prefix) => `${prefix}["${k}"]`));

/** Errors are logged by name and message (and stack, when present), with secrets masked. */
function serializeError(err: unknown): unknown {
  const base = (err instanceof Error ? stdSerializers.err(err) : err) as Record<string, unknown> | undefined;
  if (!base || typeof base !== 'object') return typeof base === 'string' ? scrubSecrets(base) : base;
  const out: Record<string, unknown> = { ...base };
  for (const key of ['message', 'stack'] as const) {
    if (typeof out[key] === 'string') out[key] = scrubSecrets(out[key]);
  }
  return out;
}

/** `destination` defaults to stdout; tests hand in a stream to read the lines back. */
export function createLogger(
  name: string,
  level = process.env.LOG_LEVEL ?? 'info',
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError, error: serializeError },
    hooks: {
      // The message string may quote an upstream error too.
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? scrubSecrets(a) : a)) as Parameters<typeof method>;
        method.apply(this, masked);
      },
    },
  };
  if (destination) return pino(options, destination);
  // A person at a terminal gets readable lines; LOG_FORMAT=json|pretty decides explicitly.
  return wantsPrettyLogs() ? pino(options, prettyDestination()) : pino(options);
}
