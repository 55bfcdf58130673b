// Connecting to a Temporal cluster: mTLS certificate files, a Temporal Cloud API key inline (from an env var) or
// from a file, and config errors that name the problem without ever printing the key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load.js';
import { connectionOptions } from '../../platform/temporal-connection-options.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(path.join(root, '.data-test-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const service = `
services:
  api:
    gitlab: { project: acme/api }
    image: { repository: registry.example.com/acme/api }
    infra: { driver: git, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: apps/api/staging/kustomization.yaml, kustomize: { image: registry.example.com/acme/api } }
        argocd: { application: api-staging }
`;
const temporalOf = (yaml: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(`temporal:\n${yaml}${service}`, env).temporal;

describe('Temporal connection options', () => {
  it('mTLS: reads the client certificate, key and CA files', () => {
    const t = temporalOf(
      `  address: ns.acct.tmprl.cloud:7233\n  tls: { certFile: ${file('c.pem', 'CERT')}, keyFile: ${file('k.pem', 'KEY')}, caFile: ${file('ca.pem', 'CA')}, serverName: ns.acct.tmprl.cloud }\n`,
    );
    const o = connectionOptions(t);
    expect(o.apiKey).toBeUndefined();
    expect(o.tls).toMatchObject({ serverNameOverride: 'ns.acct.tmprl.cloud' });
    const tls = o.tls as { clientCertPair: { crt: Buffer; key: Buffer }; serverRootCACertificate: Buffer };
    expect(tls.clientCertPair.crt.toString()).toBe('CERT');
    expect(tls.clientCertPair.key.toString()).toBe('KEY');
    expect(tls.serverRootCACertificate.toString()).toBe('CA');
  });

  it('an API key from an environment variable turns TLS on', () => {
    const t = temporalOf('  address: eu-west-1.aws.api.temporal.io:7233\n  apiKey: ${TEMPORAL_API_KEY}\n', {
      TEMPORAL_API_KEY: 'key-from-env',
    });
    expect(connectionOptions(t)).toMatchObject({ apiKey: 'key-from-env', tls: true });
  });

  it('an API key from a file (a mounted secret), trimmed', () => {
    const t = temporalOf(`  apiKeyFile: ${file('api-key', 'key-from-file\n')}\n`);
    expect(connectionOptions(t)).toMatchObject({ apiKey: 'key-from-file', tls: true });
  });

  it('refuses both an API key and a key file, and a certificate without its key', () => {
    expect(() => temporalOf(`  apiKey: k\n  apiKeyFile: ${file('k2', 'k')}\n`)).toThrow(/apiKey or apiKeyFile/);
    expect(() => temporalOf(`  tls: { certFile: ${file('c2.pem', 'C')} }\n`)).toThrow(/certFile and keyFile/);
  });

  it('an unreadable or empty key file names the file, never a key', () => {
    expect(() => connectionOptions(temporalOf(`  apiKeyFile: ${path.join(dir, 'missing')}\n`))).toThrow(
      /cannot read temporal.apiKeyFile .*missing: ENOENT/,
    );
    expect(() => connectionOptions(temporalOf(`  apiKeyFile: ${file('empty', '\n')}\n`))).toThrow(/is empty/);
  });
});
