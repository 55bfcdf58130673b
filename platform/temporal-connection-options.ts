// Connection options for the Temporal frontend from runway.yaml (plain, TLS, or Temporal Cloud API key).
import { readFileSync } from 'node:fs';
import type { RunwayConfig } from '../config/schema.js';

export function connectionOptions(temporal: RunwayConfig['temporal']) {
  const tls = temporal.tls
    ? {
        serverNameOverride: temporal.tls.serverName,
        serverRootCACertificate: temporal.tls.caFile ? readFileSync(temporal.tls.caFile) : undefined,
        clientCertPair:
          temporal.tls.certFile && temporal.tls.keyFile
            ? { crt: readFileSync(temporal.tls.certFile), key: readFileSync(temporal.tls.keyFile) }
            : undefined,
      }
    : temporal.apiKey
      ? true
      : undefined;
  return { address: temporal.address, tls, apiKey: temporal.apiKey };
}
