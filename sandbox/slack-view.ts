// What the sandbox Slack page shows, computed on the server: Block Kit and mrkdwn turned into flat text
// segments (bold, code, link…), which the page only has to put into the DOM as text. Parsing stays here,
// where it is typed and tested; the page never interprets markup.
import type { FakeSlackEphemeral, FakeSlackMessage, SlackFake } from '../fakes/slack.js';

export interface Segment {
  text: string;
  bold?: boolean;
  italic?: boolean;
  strike?: boolean;
  code?: boolean;
  /** Only http(s) links survive. */
  href?: string;
  mention?: boolean;
  /** Epoch seconds of a `<!date^…>` token: the page shows it in the reader's time zone. */
  time?: number;
}

export interface ViewButton {
  actionId: string;
  blockId?: string;
  text: string;
  value: string;
  style?: string;
}

export type ViewBlock =
  | { type: 'header' | 'section' | 'context'; segments: Segment[] }
  | { type: 'actions'; buttons: ViewButton[] }
  | { type: 'divider' }
  | { type: 'unsupported'; blockType: string };

export interface ViewMessage {
  kind: 'message';
  channel: string;
  ts: string;
  edited: boolean;
  /** The fallback text, shown when there are no blocks. */
  text: Segment[];
  blocks: ViewBlock[];
  replies: (ViewMessage | ViewEphemeral)[];
  /** The message as SlackFake stores it. */
  raw: FakeSlackMessage;
}

export interface ViewEphemeral {
  kind: 'ephemeral';
  channel: string;
  ts: string;
  user: string;
  text: Segment[];
  blocks: ViewBlock[];
}

export interface ViewChannel {
  name: string;
  timeline: (ViewMessage | ViewEphemeral)[];
}

// The shortcodes Runway's messages use; anything else stays `:name:`.
const EMOJI: Record<string, string> = {
  alarm_clock: '⏰',
  arrows_counterclockwise: '🔄',
  ballot_box_with_check: '☑️',
  checkered_flag: '🏁',
  double_vertical_bar: '⏸️',
  fast_forward: '⏩',
  grey_exclamation: '❕',
  heavy_multiplication_x: '✖️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  leftwards_arrow_with_hook: '↩️',
  lock: '🔒',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  raised_hand: '✋',
  rocket: '🚀',
  rotating_light: '🚨',
  snowflake: '❄️',
  sunny: '☀️',
  tada: '🎉',
  warning: '⚠️',
  white_check_mark: '✅',
  white_circle: '⚪',
  x: '❌',
};

type Style = Omit<Segment, 'text'>;

const decodeEntities = (text: string): string =>
  text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const emojify = (text: string): string =>
  text.replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole);

function plain(text: string, style: Style): Segment[] {
  return text ? [{ ...style, text: emojify(decodeEntities(text)) }] : [];
}

/** Slack user id → the name Slack shows for a `<@id>` mention. */
export type People = ReadonlyMap<string, string>;
const NOBODY: People = new Map();

/** `<…>` tokens: links, mentions, channels, dates and special mentions. */
function angle(token: string, style: Style, people: People): Segment {
  const bar = token.indexOf('|');
  const target = bar === -1 ? token : token.slice(0, bar);
  const label = bar === -1 ? undefined : decodeEntities(token.slice(bar + 1));
  // Slack shows a user mention with the user's name, not the id Runway wrote.
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return { ...style, mention: true, text: `@${label ?? people.get(id) ?? id}` };
  }
  if (target.startsWith('#')) return { ...style, mention: true, text: `#${label ?? target.slice(1)}` };
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    const text = label ?? target;
    return Number.isFinite(seconds) ? { ...style, text, time: seconds } : { ...style, text };
  }
  if (target.startsWith('!')) return { ...style, mention: true, text: `@${label ?? target.slice(1)}` };
  const url = decodeEntities(target);
  const text = label ?? url;
  return /^https?:\/\//i.test(url) ? { ...style, text, href: url } : { ...style, text };
}

// One alternative per construct; `*`, `_` and `~` only count at word boundaries, as in Slack.
const TOKEN =
  /<([^<>\n]+)>|`([^`\n]+)`|(?<![\w*])\*(?=\S)([^*\n]+?)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)_(?!\w)|(?<![\w~])~(?=\S)([^~\n]+?)~(?![\w~])/g;

/** Slack mrkdwn → segments. Unknown or unbalanced markup is shown as typed. */
export function mrkdwn(text: string, style: Style = {}, people: People = NOBODY): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out.push(...plain(text.slice(last, m.index), style));
    const [, link, code, bold, italic, strike] = m;
    if (link !== undefined) out.push(angle(link, style, people));
    else if (code !== undefined) out.push({ ...style, code: true, text: decodeEntities(code) });
    else if (bold !== undefined) out.push(...mrkdwn(bold, { ...style, bold: true }, people));
    else if (italic !== undefined) out.push(...mrkdwn(italic, { ...style, italic: true }, people));
    else if (strike !== undefined) out.push(...mrkdwn(strike, { ...style, strike: true }, people));
    last = m.index + m[0].length;
  }
  out.push(...plain(text.slice(last), style));
  return out;
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** A Block Kit text object: mrkdwn is parsed, plain_text only gets its emoji. */
function textObject(value: unknown, people: People): Segment[] {
  const t = record(value);
  return t.type === 'mrkdwn' ? mrkdwn(str(t.text), {}, people) : plain(str(t.text).replace(/&/g, '&amp;'), {});
}

export function viewBlocks(blocks: unknown[] | undefined, people: People = NOBODY): ViewBlock[] {
  return (blocks ?? []).map((raw): ViewBlock => {
    const b = record(raw);
    const type = str(b.type);
    const elements = Array.isArray(b.elements) ? b.elements.map(record) : [];
    if (type === 'header' || type === 'section') return { type, segments: textObject(b.text, people) };
    if (type === 'context') {
      const segments = elements.flatMap((e, i) => [...(i ? [{ text: '  ' }] : []), ...textObject(e, people)]);
      return { type, segments };
    }
    if (type === 'divider') return { type };
    if (type === 'actions') {
      const buttons = elements
        .filter((e) => e.type === 'button')
        .map((e) => ({
          actionId: str(e.action_id),
          ...(typeof b.block_id === 'string' ? { blockId: b.block_id } : {}),
          text: textObject(e.text, people)
            .map((s) => s.text)
            .join(''),
          value: str(e.value),
          ...(typeof e.style === 'string' ? { style: e.style } : {}),
        }));
      return { type, buttons };
    }
    return { type: 'unsupported', blockType: type || 'unknown' };
  });
}

function viewEphemeral(e: FakeSlackEphemeral, people: People): ViewEphemeral {
  return {
    kind: 'ephemeral',
    channel: e.channel,
    ts: e.message_ts,
    user: e.user,
    text: mrkdwn(e.text, {}, people),
    blocks: viewBlocks(e.blocks, people),
  };
}

const byTs = (a: { ts: string }, b: { ts: string }): number => Number(a.ts) - Number(b.ts);

/** A channel as a reader sees it: messages with their threads, and everyone's ephemerals, oldest first. */
export function viewChannel(slack: SlackFake, name: string, people: People = NOBODY): ViewChannel {
  const ephemerals = slack.ephemerals(name);
  const view = (m: FakeSlackMessage, replies: FakeSlackMessage[]): ViewMessage => ({
    kind: 'message',
    channel: m.channel,
    ts: m.ts,
    edited: m.edited !== undefined,
    text: mrkdwn(m.text, {}, people),
    blocks: viewBlocks(m.blocks, people),
    replies: [
      ...replies.map((r) => view(r, [])),
      ...ephemerals.filter((e) => e.thread_ts === m.ts).map((e) => viewEphemeral(e, people)),
    ].sort(byTs),
    raw: m,
  });
  const messages = slack.messages(name);
  const threaded = new Set(messages.map((m) => m.ts));
  const timeline = [
    ...messages.map((m) => view(m, slack.thread(name, m.ts))),
    ...ephemerals.filter((e) => !e.thread_ts || !threaded.has(e.thread_ts)).map((e) => viewEphemeral(e, people)),
  ].sort(byTs);
  return { name, timeline };
}

/** The action element a click names, with the block it sits in; undefined when it is no longer shown. */
export function findButton(
  message: FakeSlackMessage,
  actionId: string,
  value: string,
): { blockId?: string; element: Record<string, unknown> } | undefined {
  for (const raw of message.blocks ?? []) {
    const block = record(raw);
    if (block.type !== 'actions' || !Array.isArray(block.elements)) continue;
    const element = block.elements.map(record).find((e) => e.action_id === actionId && e.value === value);
    if (element) return { blockId: typeof block.block_id === 'string' ? block.block_id : undefined, element };
  }
  return undefined;
}
