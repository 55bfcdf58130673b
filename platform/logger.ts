// Structured JSON logs. Secrets are redacted by key wherever they appear in logged objects.
import { pino, type Logger } from 'pino';

export const REDACTED_KEYS = [
  'token',
  'password',
  'botToken',
  'signingSecret',
  'apiKey',
  'webhookSecret',
  'authorization',
];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`, `req.headers.${k}`]),
      censor: '[redacted]',
    },
  });
}
