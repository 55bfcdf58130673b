// Reads a request body up to `limit` bytes. Past the limit it keeps reading and discarding (up to
// `drainLimit`) so the client gets a clean 413 instead of a connection reset mid-upload.
export type BodyResult = { ok: true; text: string } | { ok: false; reason: 'too_large' };

export async function readLimitedBody(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  drainLimit = 32 * 1024 * 1024,
): Promise<BodyResult> {
  if (!body) return { ok: true, text: '' };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size <= limit) chunks.push(value);
    else if (size > drainLimit) {
      await reader.cancel();
      break;
    }
  }
  if (size > limit) return { ok: false, reason: 'too_large' };
  return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
}
