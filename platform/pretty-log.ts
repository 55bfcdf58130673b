// Log lines for a person at a terminal: `12:04:05 INFO  runway  message  key=value …`, one per JSON line pino
// writes. Only used when stdout is a TTY (or LOG_FORMAT=pretty); pipes and files keep getting JSON.
import type { DestinationStream } from 'pino';

const LEVELS: Record<number, [string, string]> = {
  10: ['TRACE', '\x1b[90m'],
  20: ['DEBUG', '\x1b[36m'],
  30: ['INFO ', '\x1b[32m'],
  40: ['WARN ', '\x1b[33m'],
  50: ['ERROR', '\x1b[31m'],
  60: ['FATAL', '\x1b[35m'],
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v) ?? String(v);
}

/** One JSON log line → one readable line (the input back unchanged when it is not JSON). */
export function prettyLine(line: string, color = true): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const [label, tint] = LEVELS[Number(entry.level)] ?? ['LOG  ', ''];
  const time = typeof entry.time === 'number' ? new Date(entry.time).toTimeString().slice(0, 8) : '';
  const fields = Object.entries(entry)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => {
      if (k === 'err' && v && typeof v === 'object') {
        const err = v as { message?: unknown; stack?: unknown };
        return `err=${value(err.message)}${typeof err.stack === 'string' ? `\n${err.stack}` : ''}`;
      }
      return `${k}=${value(v)}`;
    });
  const c = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const head = `${c(DIM, time)} ${c(tint, label)} ${c(DIM, typeof entry.name === 'string' ? entry.name : '')} ${typeof entry.msg === 'string' ? entry.msg : ''}`;
  return fields.length ? `${head}  ${c(DIM, fields.join(' '))}` : head;
}

export function prettyDestination(out: NodeJS.WritableStream = process.stdout, color = true): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line) out.write(`${prettyLine(line, color)}\n`);
    },
  };
}

/** Pretty on a terminal unless LOG_FORMAT=json; JSON elsewhere unless LOG_FORMAT=pretty. */
export function wantsPrettyLogs(env: NodeJS.ProcessEnv = process.env, isTty = !!process.stdout.isTTY): boolean {
  if (env.LOG_FORMAT === 'json') return false;
  if (env.LOG_FORMAT === 'pretty') return true;
  return isTty;
}
