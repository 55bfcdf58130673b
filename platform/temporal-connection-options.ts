// Connection options for the Temporal frontend from runway.yaml: plain, TLS / mTLS (a self-hosted cluster or
// Temporal Cloud with certificates), or a Temporal Cloud API key (inline from an env var, or from a file).
// The key is only handed to the SDK: never logged, never put in an error message.
import { readFileSync } from 'node:fs';
import type { RunwayConfig } from '../config/schema.js';

export function connectionOptions(temporal: RunwayConfig['temporal']) {
  const apiKey = temporal.apiKey ?? (temporal.apiKeyFile ? readApiKey(temporal.apiKeyFile) : undefined);
  const tls = temporal.tls
    ? {
        serverNameOverride: temporal.tls.serverName,
        serverRootCACertificate: temporal.tls.caFile ? readFileSync(temporal.tls.caFile) : undefined,
        clientCertPair:
          temporal.tls.certFile && temporal.tls.keyFile
            ? { crt: readFileSync(temporal.tls.certFile), key: readFileSync(temporal.tls.keyFile) }
            : undefined,
      }
    : apiKey
      ? true // an API key is only ever sent over TLS
      : undefined;
  return { address: temporal.address, tls, apiKey };
}

/** The key file's content, trimmed (secret mounts often end in a newline). Errors name the file, not the key. */
function readApiKey(file: string): string {
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new Error(`cannot read temporal.apiKeyFile ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!key) throw new Error(`temporal.apiKeyFile ${file} is empty`);
  return key;
}
