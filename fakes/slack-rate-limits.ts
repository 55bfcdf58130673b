// Slack's published Web API rate limits (https://api.slack.com/docs/rate-limits), as the fake enforces them:
// each method has a tier, a per-minute allowance per workspace per app (Tier 1: 1+, Tier 2: 20+, Tier 3: 50+,
// Tier 4: 100+); chat.postMessage is special: about 1 message per second per channel, short bursts allowed. Over
// the limit Slack answers HTTP 429 with `Retry-After` (seconds) and `{ok:false, error:"ratelimited"}`. The fake
// allows exactly the published floor ("50+" is 50), never more.

/** Tiers from each method's reference page (api.slack.com/methods/<method>, "Rate limits"). */
export const SLACK_METHOD_TIERS: Record<string, 1 | 2 | 3 | 4> = {
  'auth.test': 4,
  'chat.update': 3,
  'chat.postEphemeral': 4,
  'conversations.history': 3,
  'conversations.replies': 3,
  'conversations.info': 3,
  'conversations.list': 2,
  'users.info': 4,
};
export const TIER_PER_MINUTE = { 1: 1, 2: 20, 3: 50, 4: 100 } as const;
/** chat.postMessage per channel: a burst of this many, then one per second. */
export const POST_BURST = 3;

export class SlackRateLimiter {
  private readonly windows = new Map<string, number[]>();
  private readonly posts = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds to wait when this call is over its limit (the call is then refused), else undefined. */
  admit(method: string, channel?: string): number | undefined {
    const now = this.now();
    if (method === 'chat.postMessage') {
      const key = channel ?? '';
      const bucket = this.posts.get(key) ?? { tokens: POST_BURST, at: now };
      bucket.tokens = Math.min(POST_BURST, bucket.tokens + (now - bucket.at) / 1000);
      bucket.at = now;
      this.posts.set(key, bucket);
      if (bucket.tokens < 1) return Math.max(1, Math.ceil(1 - bucket.tokens));
      bucket.tokens -= 1;
      return undefined;
    }
    const tier = SLACK_METHOD_TIERS[method];
    if (!tier) return undefined;
    const limit = TIER_PER_MINUTE[tier];
    const calls = (this.windows.get(method) ?? []).filter((t) => now - t < 60_000);
    this.windows.set(method, calls);
    if (calls.length >= limit) return Math.max(1, Math.ceil((calls[0]! + 60_000 - now) / 1000));
    calls.push(now);
    return undefined;
  }
}

/** The most calls of each method in any 60-second window (from the fake's call log). */
export function peakPerMinute(calls: { method: string; at: number }[]): Map<string, number> {
  const byMethod = new Map<string, number[]>();
  for (const c of calls) byMethod.set(c.method, [...(byMethod.get(c.method) ?? []), c.at]);
  const out = new Map<string, number>();
  for (const [method, times] of byMethod) {
    times.sort((a, b) => a - b);
    let peak = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 60_000) j++;
      peak = Math.max(peak, i - j + 1);
    }
    out.set(method, peak);
  }
  return out;
}
