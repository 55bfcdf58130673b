// Slack for incidents: ONE message per incident, posted once and then edited in place (chat.update).
// Exactly once, as for releases (slack.ts): the message carries metadata naming the incident, and before posting
// we look for the one an earlier attempt posted but never heard back about (conversations.history).
import type { Incident } from '../domain/watch.js';
import { buildIncidentMessage, buildOutageMessage } from './incident-blocks.js';
import { PermanentSlackError, SlackCallError, type MessageRef, type SlackApi } from './slack.js';

export const INCIDENT_MESSAGE_EVENT = 'runway_incident';
export const WATCH_OUTAGE_EVENT = 'runway_watch_outage';
const HISTORY_SCAN = 400;
const REPOST_CODES = new Set(['message_not_found', 'cant_update_message', 'edit_window_closed']);
const isConversationId = (channel: string) => /^[CGD][A-Z0-9]{2,}$/.test(channel);

export interface OutageNotice {
  instance: string;
  since: string;
  message: string;
  resolvedAt?: string;
  channel?: string;
  messageRef?: MessageRef;
}

export interface IncidentNotifierPort {
  publishIncident(incident: Incident): Promise<{ messageRef: MessageRef }>;
  publishOutage(notice: OutageNotice): Promise<{ messageRef: MessageRef }>;
}

export function createIncidentNotifier(api: SlackApi, options: { defaultChannel?: string } = {}): IncidentNotifierPort {
  const channelIds = new Map<string, string>();
  async function conversationId(channel: string): Promise<string | undefined> {
    if (isConversationId(channel)) return channel;
    const cached = channelIds.get(channel);
    if (cached) return cached;
    const id = await api.channelId(channel);
    if (id) channelIds.set(channel, id);
    return id;
  }

  async function find(channel: string, event: string, key: string): Promise<MessageRef | undefined> {
    const id = await conversationId(channel);
    if (!id) return undefined;
    const messages = await api.history(id, HISTORY_SCAN);
    const found = messages.find((m) => m.metadata?.event_type === event && m.metadata.event_payload.key === key);
    return found ? { channel: id, ts: found.ts } : undefined;
  }

  /** Update `ref` (when known) or the message an earlier attempt posted, else post it. */
  async function upsert(
    channel: string | undefined,
    ref: MessageRef | undefined,
    event: string,
    key: string,
    message: { text: string; blocks: Parameters<SlackApi['updateMessage']>[2] },
  ): Promise<MessageRef> {
    if (ref) {
      try {
        await api.updateMessage(ref.channel, ref.ts, message.blocks, message.text);
        return ref;
      } catch (err) {
        if (!(err instanceof SlackCallError) || !REPOST_CODES.has(err.code)) throw err;
      }
    }
    const target = channel ?? ref?.channel ?? options.defaultChannel;
    if (!target)
      throw new PermanentSlackError('no Slack channel for this incident', 'chat.postMessage', 'no_channel', 0);
    const existing = await find(target, event, key);
    if (existing) {
      await api.updateMessage(existing.channel, existing.ts, message.blocks, message.text);
      return existing;
    }
    return api.postMessage({
      channel: target,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: event, event_payload: { key } },
    });
  }

  return {
    async publishIncident(incident) {
      const messageRef = await upsert(
        incident.channel,
        incident.messageRef,
        INCIDENT_MESSAGE_EVENT,
        incident.id,
        buildIncidentMessage(incident),
      );
      return { messageRef };
    },
    async publishOutage(notice) {
      const messageRef = await upsert(
        notice.channel,
        notice.messageRef,
        WATCH_OUTAGE_EVENT,
        `${notice.instance}/${notice.since}`,
        buildOutageMessage(notice),
      );
      return { messageRef };
    },
  };
}
