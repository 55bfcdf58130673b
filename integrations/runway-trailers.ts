// The git trailers Runway puts on its infra commits, so a retried image bump can tell that its own commit
// already landed and recover the image it replaced (a rollback needs it).
import { formatImageRef, parseImageRef } from '../domain/manifest/index.js';
import type { ImageRef } from '../domain/types.js';

export const CHANGE_TRAILER = 'Runway-Change';
export const PREVIOUS_IMAGE_TRAILER = 'Runway-Previous-Image';

export function withRunwayTrailers(message: string, changeId: string, previous: ImageRef | null): string {
  const trailers = [`${CHANGE_TRAILER}: ${changeId}`];
  if (previous) trailers.push(`${PREVIOUS_IMAGE_TRAILER}: ${formatImageRef(previous)}`);
  return `${message.trimEnd()}\n\n${trailers.join('\n')}`;
}

/** `Key: value` lines of a commit message's last paragraph, where git keeps trailers. */
export function readTrailers(message: string): Map<string, string> {
  const last =
    message
      .trim()
      .split(/\n[ \t]*\n/)
      .pop() ?? '';
  const trailers = new Map<string, string>();
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9-]+):[ \t]*(.*?)\s*$/.exec(line);
    if (m) trailers.set(m[1]!, m[2]!);
  }
  return trailers;
}

/** The previous image a commit recorded, or null when it recorded none (or something unreadable). */
export function previousImageOf(message: string): ImageRef | null {
  const value = readTrailers(message).get(PREVIOUS_IMAGE_TRAILER);
  if (!value) return null;
  try {
    return parseImageRef(value);
  } catch {
    return null;
  }
}
