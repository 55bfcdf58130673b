// A tiny OCI registry stand-in: every tag of every repository exists, except those `isMissing` names (the
// sandbox's failing-build demo). The sandbox has no CI that could build images, so a release finds its
// image "already in the registry" and skips the build wait; the real registry client still makes its HEAD
// request and reads Docker-Content-Digest.
import { createHash } from 'node:crypto';
import { HttpFake, type FakeResponse } from '../fakes/http-fake.js';

const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const API_VERSION = { 'Docker-Distribution-Api-Version': 'registry/2.0' };

const sha256 = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** A small but well-formed image manifest, different per name and tag, so digests differ too. */
export function sandboxManifest(name: string, reference: string): string {
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { name, reference } } });
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [],
  });
}

function manifest(name: string, reference: string): FakeResponse {
  const body = sandboxManifest(name, reference);
  // Asked by digest, a registry answers with that digest; by tag, with the digest of the bytes it serves.
  const digest = reference.startsWith('sha256:') ? reference : sha256(body);
  return {
    status: 200,
    body,
    headers: { ...API_VERSION, 'Content-Type': MANIFEST_TYPE, 'Docker-Content-Digest': digest },
  };
}

/** distribution's answer for an unknown tag (registry/api/errcode: MANIFEST_UNKNOWN, 404). */
function manifestUnknown(name: string, reference: string): FakeResponse {
  return {
    status: 404,
    body: { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { name, tag: reference } }] },
    headers: API_VERSION,
  };
}

export function createRegistryFake(
  options: { isMissing?: (name: string, reference: string) => boolean } = {},
): HttpFake {
  const http = new HttpFake('registry');
  http.route('GET', '/v2/', () => ({ status: 200, body: {}, headers: API_VERSION }));
  for (const method of ['HEAD', 'GET']) {
    http.route(method, '/v2/:name*/manifests/:reference', (_req, p) =>
      options.isMissing?.(p.name!, p.reference!)
        ? manifestUnknown(p.name!, p.reference!)
        : manifest(p.name!, p.reference!),
    );
  }
  return http;
}
