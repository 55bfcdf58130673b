// Runway's HTTP app with a config and no Temporal behind it: enough for routes that never reach Temporal
// (landing, API docs, auth refusals).
import type { Client } from '@temporalio/client';
import { createApp, type AppPlugins } from '../../api/app.js';
import type { ApiContext } from '../../api/context.js';
import { ReleaseService } from '../../api/release-service.js';
import { parseConfig } from '../../config/load.js';
import { createLogger } from '../../platform/logger.js';
import { Writable } from 'node:stream';

export const MINIMAL_CONFIG = `
services:
  hello:
    gitlab: { project: acme/hello }
    image: { repository: registry.example.com/acme/hello }
    infra: { driver: gitlab, repository: acme/infra }
    environments:
      - name: staging
        manifest: { file: staging.yaml, kustomize: { image: hello } }
        argocd: { application: hello-staging }
`;

export function appWithoutTemporal(yaml = MINIMAL_CONFIG, plugins: AppPlugins = {}) {
  const config = parseConfig(yaml, {});
  const unreachable = new Proxy(
    {},
    {
      get: () => {
        throw new Error('this test has no Temporal');
      },
    },
  ) as Client;
  const quiet = new Writable({ write: (_c, _e, done) => done() });
  const ctx: ApiContext = {
    config,
    client: unreachable,
    releases: new ReleaseService(unreachable, config),
    logger: createLogger('test', 'silent', quiet),
    publicUrl: 'http://localhost:8080',
  };
  return createApp(ctx, plugins);
}
