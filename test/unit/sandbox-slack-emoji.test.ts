// The sandbox Slack page shows Runway's emoji shortcodes as Slack does: every `:name:` Runway's messages use
// has a character, so no message on the page shows a raw `:hourglass:`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mrkdwn } from '../../sandbox/slack-view.js';

const root = path.resolve(import.meta.dirname, '../..');
/** Where Runway writes Slack text: the block builders and the slash commands. */
const SOURCES = ['integrations', 'api/slack'];

function shortcodesUsed(): Map<string, string> {
  const found = new Map<string, string>();
  for (const dir of SOURCES) {
    for (const file of readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(path.join(root, dir, file), 'utf8');
      // `:name:` standing alone (not inside `repository:a:pull` or `v0:ts:body`).
      for (const m of text.matchAll(/(?<![\w:]):([a-z][a-z0-9_+-]*):(?![\w:])/g)) found.set(m[1]!, `${dir}/${file}`);
    }
  }
  return found;
}

describe('sandbox Slack page emoji', () => {
  it('finds the shortcodes Runway writes', () => {
    const used = shortcodesUsed();
    expect(used.has('hourglass')).toBe(true);
    expect(used.has('white_check_mark')).toBe(true);
    expect(used.size).toBeGreaterThan(15);
  });

  it('shows every one of them as a character', () => {
    const raw = [...shortcodesUsed()]
      .filter(([name]) => mrkdwn(`:${name}:`)[0]?.text === `:${name}:`)
      .map(([name, file]) => `:${name}: (${file})`);
    expect(raw).toEqual([]);
  });

  it('leaves an unknown shortcode as typed', () => {
    expect(mrkdwn(':not_an_emoji_runway_uses:')[0]?.text).toBe(':not_an_emoji_runway_uses:');
  });
});
