// Pushes a tiny image through the distribution API (monolithic blob uploads, then the manifest),
// so tests can create tags on a real registry without docker. The layer is random bytes, gzipped:
// the registry checks digests and sizes, never layer contents.
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface PushOptions {
  authorization?: string;
  /** Manifest flavour; default `oci`. */
  format?: 'oci' | 'docker';
}

export interface PushedImage {
  /** Digest of the manifest, as the registry reported it. */
  digest: string;
  manifest: string;
  mediaType: string;
}

const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
};

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function expectStatus(response: Response, status: number, what: string): Promise<void> {
  if (response.status !== status) {
    throw new Error(`${what}: expected HTTP ${status}, got ${response.status}: ${await response.text()}`);
  }
}

async function uploadBlob(baseUrl: string, name: string, data: Buffer, auth: Record<string, string>): Promise<string> {
  const digest = sha256(data);
  const start = await fetch(`${baseUrl}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: auth });
  await expectStatus(start, 202, `start blob upload to ${name}`);
  const location = new URL(start.headers.get('location') ?? '', `${baseUrl}/`);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
    body: data,
  });
  await expectStatus(put, 201, `upload blob ${digest} to ${name}`);
  return digest;
}

export async function pushImage(
  baseUrl: string,
  name: string,
  tag: string,
  options: PushOptions = {},
): Promise<PushedImage> {
  const types = MEDIA_TYPES[options.format ?? 'oci'];
  const auth: Record<string, string> = options.authorization ? { Authorization: options.authorization } : {};
  const layerTar = randomBytes(64);
  const layer = gzipSync(layerTar);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: [sha256(layerTar)] },
    }),
  );
  const configDigest = await uploadBlob(baseUrl, name, config, auth);
  const layerDigest = await uploadBlob(baseUrl, name, layer, auth);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: types.manifest,
    config: { mediaType: types.config, digest: configDigest, size: config.length },
    layers: [{ mediaType: types.layer, digest: layerDigest, size: layer.length }],
  });
  const put = await fetch(`${baseUrl}/v2/${name}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...auth, 'Content-Type': types.manifest },
    body: manifest,
  });
  await expectStatus(put, 201, `put manifest ${name}:${tag}`);
  const digest = put.headers.get('docker-content-digest') ?? sha256(Buffer.from(manifest));
  return { digest, manifest, mediaType: types.manifest };
}
