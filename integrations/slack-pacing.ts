// Keeps Runway's Slack calls inside Slack's published rate limits (https://api.slack.com/docs/rate-limits):
// chat.postMessage about one message per second per channel; Web API methods by tier, per workspace (Tier 2:
// 20+/min, Tier 3: 50+/min, Tier 4: 100+/min). Calls wait for their turn here instead of drawing 429s, and a
// 429's Retry-After pauses that method (or channel) for everyone in this process.

/** Per-minute budgets of the methods Runway calls, a little under each tier so bursts stay inside it. */
const TIER_PER_MINUTE: Record<string, number> = {
  'conversations.list': 18, // Tier 2
  'conversations.history': 45, // Tier 3
  'conversations.replies': 45, // Tier 3
  'chat.update': 45, // Tier 3
  'chat.postEphemeral': 90, // Tier 4
};
/** Calls a method may make at once after a quiet spell; with the refill, at most budget + burst per minute. */
const BURST = 5;
const POST_SPACING_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SlackPacer {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly nextPost = new Map<string, number>();
  private readonly pausedUntil = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Waits until `method` (and for posts, `channel`) may be called. */
  async turn(method: string, channel?: string): Promise<void> {
    await this.waitPause(method);
    if (method === 'chat.postMessage' && channel) {
      const key = `post:${channel}`;
      await this.waitPause(key);
      // Reserve the slot before sleeping so concurrent posts to one channel queue one second apart.
      const at = Math.max(this.now(), this.nextPost.get(key) ?? 0);
      this.nextPost.set(key, at + POST_SPACING_MS);
      const wait = at - this.now();
      if (wait > 0) await sleep(wait);
      return;
    }
    const perMinute = TIER_PER_MINUTE[method];
    if (!perMinute) return;
    for (;;) {
      const bucket = this.refill(method, perMinute);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - bucket.tokens) * 60_000) / perMinute));
    }
  }

  /** Slack answered 429: nobody in this process calls `method` (or posts to `channel`) before Retry-After. */
  pause(method: string, retryAfterMs: number, channel?: string): void {
    const key = method === 'chat.postMessage' && channel ? `post:${channel}` : method;
    this.pausedUntil.set(key, Math.max(this.pausedUntil.get(key) ?? 0, this.now() + retryAfterMs));
  }

  private async waitPause(key: string): Promise<void> {
    for (;;) {
      const wait = (this.pausedUntil.get(key) ?? 0) - this.now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  }

  private refill(method: string, perMinute: number): { tokens: number; at: number } {
    const now = this.now();
    const bucket = this.buckets.get(method) ?? { tokens: BURST, at: now };
    bucket.tokens = Math.min(BURST, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    this.buckets.set(method, bucket);
    return bucket;
  }
}
