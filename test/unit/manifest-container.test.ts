import { describe, expect, it } from 'vitest';
import { ManifestTargetError, readImage, setImage } from '../../domain/manifest/index.js';
import type { ManifestTarget } from '../../domain/types.js';

const manifests = `# api workloads
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      initContainers:
      - name: migrate # runs first
        image: registry.example.com/api:1.0
      containers:
      - name: api
        image: registry.example.com/api:1.0 # main
      - name: proxy
        image: 'envoyproxy/envoy:v1.30'
---
# nightly report
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: api
              image: localhost:5000/report@sha256:aaaa
---
apiVersion: v1
kind: Service
metadata:
  name: api
`;
const file = 'apps/api/deployment.yaml';

describe('workload containers', () => {
  it('edits the named container of the chosen workload only', () => {
    const target: ManifestTarget = { kind: 'container', file, container: 'api', workloadKind: 'Deployment' };
    const edit = setImage(manifests, target, { repository: 'registry.example.com/api', tag: '1.1' });
    expect(edit.previous).toEqual({ repository: 'registry.example.com/api', tag: '1.0' });
    expect(edit.text).toBe(
      manifests.replace('image: registry.example.com/api:1.0 # main', 'image: registry.example.com/api:1.1 # main'),
    );
  });

  it('reaches CronJob containers through jobTemplate', () => {
    const target: ManifestTarget = {
      kind: 'container',
      file,
      container: 'api',
      workloadKind: 'CronJob',
      workloadName: 'report',
    };
    expect(readImage(manifests, target)).toEqual({
      repository: 'localhost:5000/report',
      tag: '',
      digest: 'sha256:aaaa',
    });
    const edit = setImage(manifests, target, { repository: 'localhost:5000/report', tag: 'v2', digest: 'sha256:bbbb' });
    expect(edit.text).toBe(manifests.replace('report@sha256:aaaa', 'report:v2@sha256:bbbb'));
  });

  it('edits init containers and keeps single quotes', () => {
    const init = setImage(
      manifests,
      { kind: 'container', file, container: 'migrate' },
      { repository: 'registry.example.com/api', tag: '2' },
    );
    expect(init.text).toBe(
      manifests.replace('image: registry.example.com/api:1.0\n', 'image: registry.example.com/api:2\n'),
    );
    const proxy = setImage(
      manifests,
      { kind: 'container', file, container: 'proxy' },
      { repository: 'envoyproxy/envoy', tag: 'v1.31' },
    );
    expect(proxy.text).toBe(manifests.replace("'envoyproxy/envoy:v1.30'", "'envoyproxy/envoy:v1.31'"));
  });

  it('rejects a container name used by two workloads', () => {
    const target: ManifestTarget = { kind: 'container', file, container: 'api' };
    expect(() => setImage(manifests, target, { repository: 'x', tag: '1' })).toThrow(ManifestTargetError);
    expect(() => setImage(manifests, target, { repository: 'x', tag: '1' })).toThrow(
      `${file}: container "api" is ambiguous: it is in Deployment/api, CronJob/report; set workloadKind/workloadName`,
    );
  });

  it('lists what it found when the container is missing', () => {
    const target: ManifestTarget = { kind: 'container', file, container: 'web', workloadName: 'api' };
    expect(() => readImage(manifests, target)).toThrow(
      `${file}: container "web" not found in api: found Deployment/api (migrate, api, proxy)`,
    );
  });

  it.each(['StatefulSet', 'DaemonSet', 'Job'])('handles %s', (kind) => {
    const text = `kind: ${kind}\nmetadata: {name: w}\nspec:\n  template:\n    spec:\n      containers:\n        - name: c\n          image: "app:1"\n`;
    const edit = setImage(text, { kind: 'container', file: 'w.yaml', container: 'c' }, { repository: 'app', tag: '2' });
    expect(edit.text).toBe(text.replace('"app:1"', '"app:2"'));
  });
});
