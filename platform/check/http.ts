// One HTTP call of a check: JSON in, JSON out, a timeout, and a network failure turned into an answer.

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

export type Fetch = typeof fetch;

export class Unreachable extends Error {
  override name = 'Unreachable';
}

export async function getJson(
  url: string,
  headers: Record<string, string>,
  options: { fetch?: Fetch; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  let res: Response;
  try {
    res = await (options.fetch ?? fetch)(url, {
      headers: { Accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable(
      `${new URL(url).origin} did not answer (${cause?.code ?? cause?.message ?? (err as Error).message})`,
    );
  }
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body, headers: res.headers };
}

export const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};

/** An upstream error message, short, for a detail line. */
export function said(body: unknown): string {
  const b = record(body);
  const text = typeof body === 'string' ? body : (b.message ?? b.error);
  return (typeof text === 'string' ? text : (JSON.stringify(body) ?? '')).slice(0, 200);
}
