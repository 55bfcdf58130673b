// Slack's request bodies: interactions are a form with one `payload` JSON field, slash commands are plain form
// fields, and the Events API (url_verification) is JSON.
export type SlackBody = Record<string, unknown>;

export class UnreadableBodyError extends Error {
  override name = 'UnreadableBodyError';
}

function asObject(value: unknown): SlackBody {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UnreadableBodyError('body is not a JSON object');
  }
  return value as SlackBody;
}

function parseJson(text: string): SlackBody {
  try {
    return asObject(JSON.parse(text));
  } catch (err) {
    throw err instanceof UnreadableBodyError ? err : new UnreadableBodyError('body is not valid JSON');
  }
}

export function parseSlackBody(rawBody: string, contentType: string | undefined): SlackBody {
  // Bolt compares the media type exactly; we also accept a `; charset=…` suffix.
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') return parseJson(rawBody);
  const form = new URLSearchParams(rawBody);
  const payload = form.get('payload');
  return payload === null ? Object.fromEntries(form) : parseJson(payload);
}
