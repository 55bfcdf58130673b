// Keeps the sandbox Slack channel on disk (`<dataDir>/slack.json`), so a release that waits for approval
// still shows its Approve / Reject buttons after `make dev` restarts: its workflow keeps the message's ts
// in Temporal, and the restored message is the one it will update.
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FakeSlackState, SlackFake } from '../fakes/slack.js';

export interface SlackStore {
  /** Writes the newest state now (also called by close). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const isState = (v: unknown): v is FakeSlackState => {
  const s = v as Partial<FakeSlackState> | null;
  return (
    !!s &&
    Array.isArray(s.topLevel) &&
    Array.isArray(s.replies) &&
    Array.isArray(s.ephemerals) &&
    typeof s.lastMicros === 'number'
  );
};

/** Restores what an earlier run saved (an unreadable file is set aside, not fatal), then saves every change. */
export async function persistSlack(
  slack: SlackFake,
  dataDir: string,
  options: { debounceMs?: number; onError?: (err: Error) => void } = {},
): Promise<SlackStore> {
  const file = path.join(dataDir, 'slack.json');
  try {
    const saved: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (!isState(saved)) throw new Error('not a saved Slack channel');
    slack.restore(saved);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      await rename(file, `${file}.unreadable`).catch(() => undefined);
      options.onError?.(new Error(`sandbox Slack state ${file} was unreadable and is set aside: ${String(err)}`));
    }
  }

  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  const write = (): Promise<void> => {
    timer = undefined;
    const text = JSON.stringify(slack.snapshot());
    // Write then rename: a crash mid-write leaves the previous file intact.
    writing = writing
      .then(async () => {
        await writeFile(`${file}.tmp`, text);
        await rename(`${file}.tmp`, file);
      })
      .catch((err: unknown) => options.onError?.(err as Error));
    return writing;
  };
  const unsubscribe = slack.subscribe(() => {
    timer ??= setTimeout(() => void write(), options.debounceMs ?? 100);
  });
  const flush = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    await write();
  };
  return {
    flush,
    close: async () => {
      unsubscribe();
      await flush();
    },
  };
}
