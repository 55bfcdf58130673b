// Slack request signing (v0 HMAC over `v0:ts:body`), checked with Bolt's own verifier so the rules match Bolt's.
import { verifySlackRequest } from '@slack/bolt';

/** Slack's replay window. Bolt enforces it for old timestamps only; we also refuse ones this far ahead. */
export const MAX_SKEW_SECONDS = 5 * 60;

export interface SignatureHeaders {
  signature: string | undefined;
  timestamp: string | undefined;
}

/** Undefined when the request is Slack's; otherwise why not (safe to log: it never contains the secret). */
export function signatureProblem(
  signingSecret: string,
  rawBody: string,
  headers: SignatureHeaders,
  nowMs: number,
): string | undefined {
  if (!headers.signature || !headers.timestamp) return 'missing signature headers';
  if (!/^\d{1,12}$/.test(headers.timestamp)) return 'malformed timestamp';
  const timestamp = Number(headers.timestamp);
  if (timestamp > Math.floor(nowMs / 1000) + MAX_SKEW_SECONDS) return 'timestamp is in the future';
  try {
    verifySlackRequest({
      signingSecret,
      body: rawBody,
      headers: { 'x-slack-signature': headers.signature, 'x-slack-request-timestamp': timestamp },
      nowMilliseconds: nowMs,
    });
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : 'verification failed';
  }
}
