// What the chaos run counts after the fact, from the fakes' own state: visible effects that exist more than
// once, and secrets that reached a log or a workflow history.
import type { Client } from '@temporalio/client';
import type { FakeGitLab } from '../fakes/gitlab.js';
import type { SlackFake } from '../fakes/slack.js';
import type { InfraCommit } from '../test/support/integration-world.js';

export interface Duplicates {
  commits: number;
  deployments: number;
  notes: number;
  messages: number;
  replies: number;
}

/** Extra copies (a key seen n times counts n - 1). */
function extra(keys: string[]): number {
  const seen = new Map<string, number>();
  for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
  return [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
}

export function countDuplicates(input: {
  commits: InfraCommit[];
  gitlab: FakeGitLab;
  projects: string[];
  mergeRequestIid: number;
  slack: SlackFake;
  channels: string[];
}): Duplicates {
  const commits = extra(input.commits.map((c) => c.trailers['Runway-Change'] ?? `untracked ${c.sha}`));
  let deployments = 0;
  let notes = 0;
  for (const project of input.projects) {
    // API-made deployments (no CI job) of one sha to one environment: one per release and environment.
    deployments += extra(
      input.gitlab
        .deployments(project)
        .filter((d) => !d.createdByCi)
        .map((d) => `${d.environment}/${d.sha}`),
    );
    notes += extra(
      input.gitlab
        .notes(project, input.mergeRequestIid)
        .map((n) => /<!-- runway:(.+?) -->/.exec(n.body)?.[1] ?? `unmarked ${n.id}`),
    );
  }
  let messages = 0;
  let replies = 0;
  for (const channel of input.channels) {
    const top = input.slack.messages(channel);
    messages += extra(top.map((m) => text(m.metadata?.event_payload.release_id) ?? `untagged ${m.ts}`));
    for (const parent of top) {
      const thread = input.slack.thread(channel, parent.ts);
      replies += extra(thread.map((r) => text(r.metadata?.event_payload.event) ?? `untagged ${r.ts}`));
    }
  }
  return { commits, deployments, notes, messages, replies };
}

/** Where each secret appears: log files' text and every workflow history of the namespace. */
export async function findLeaks(
  secrets: string[],
  logs: { name: string; text: string }[],
  client: Client,
): Promise<{ leaks: string[]; historiesScanned: number }> {
  const leaks: string[] = [];
  for (const { name, text } of logs) {
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${name} contains ${mask(secret)}`);
  }
  let historiesScanned = 0;
  for await (const wf of client.workflow.list()) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    historiesScanned += 1;
    // Payloads are base64 in the JSON form; decode them so a secret inside one is found too.
    const json = JSON.stringify(history, (_k, v: unknown) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v,
    );
    for (const secret of secrets)
      if (json.includes(secret)) leaks.push(`history of ${wf.workflowId} contains ${mask(secret)}`);
  }
  return { leaks, historiesScanned };
}

const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
const mask = (secret: string) => `${secret.slice(0, 6)}…`;
