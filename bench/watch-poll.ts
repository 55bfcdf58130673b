// How long one watcher poll takes for N apps (default 300) against the fake Argo CD over real HTTP: the one
// activity that reads every app of an instance (8 reads at a time). `npx tsx bench/watch-poll.ts [apps]`.
import type { Client } from '@temporalio/client';
import { createArgoCdApiClient } from '../integrations/argocd-api.js';
import { watchActivities } from '../activities/watch.js';
import type { NotifierPort } from '../activities/ports.js';
import type { WatchTarget } from '../domain/watch.js';
import { FakeArgoCd } from '../fakes/argocd.js';

const apps = Number(process.argv[2] ?? 300);
const argocd = new FakeArgoCd();
await argocd.listen();
const targets: WatchTarget[] = [];
for (let i = 0; i < apps; i++) {
  const name = `app-${i}`;
  argocd.addApp(name, { image: `reg/acme/${name}:v1` });
  targets.push({
    key: `${name}/production`,
    service: name,
    environment: 'production',
    instance: 'default',
    application: name,
    gitlabProject: `acme/${name}`,
    ref: 'main',
    imageRepository: `reg/acme/${name}`,
    degraded: 'alert',
    drift: 'alert',
    graceMs: 120_000,
  });
}
// Visibility answers "nothing running" at once: this measures Argo CD reads only.
const temporal = {
  options: { namespace: 'default' },
  workflowService: { listWorkflowExecutions: async () => ({ executions: [] }) },
} as unknown as Client;
const port = createArgoCdApiClient({ url: argocd.url, token: argocd.token });
const acts = watchActivities({
  watch: { targets },
  temporal,
  taskQueue: 'bench',
  notifier: {} as NotifierPort,
  argocdFor: () => port,
});
const times: number[] = [];
for (let run = 0; run < 5; run++) {
  const start = performance.now();
  const poll = await acts.watchPoll({ instance: 'default' });
  times.push(performance.now() - start);
  if (poll.apps.length !== apps || poll.unreachable) throw new Error('poll incomplete');
}
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    apps,
    pollMs: { min: Math.round(times[0]!), median: Math.round(times[2]!), max: Math.round(times[4]!) },
    requestsPerPoll: apps,
  }),
);
await argocd.close();
