// Summarises V8 .cpuprofile files (written by the worker child under --cpu-prof): self time per
// package or file, and the hottest functions, per thread (the SDK runs workflows in a worker thread).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A time window on the monotonic clock V8's profiler and process.hrtime share, in µs. */
export interface Window {
  fromUs: number;
  toUs: number;
}

export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

export interface ThreadProfile {
  thread: string;
  /** Non-idle sampled time within the window, ms. */
  busyMs: number;
  /** Length of the window covered by the profile, ms. */
  windowMs: number;
  byCategory: [string, number][];
  topFunctions: [string, number][];
}

function category(frame: ProfileNode['callFrame'], root: string): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : `(native) ${functionName}`;
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (/workflow-bundle|\.bundle\.js/.test(url)) return 'workflow bundle (Runway workflows + SDK workflow runtime)';
  const file = url.replace(/^file:\/\//, '');
  return file.startsWith(root) ? `runway ${path.relative(root, file).split('/')[0]}/` : file;
}

export function summariseProfile(file: string, root: string, window: Window): ThreadProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = profile.startTime;
  let first = Infinity;
  let last = -Infinity;
  profile.samples.forEach((nodeId, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < window.fromUs || at > window.toUs) return;
    first = Math.min(first, at - delta);
    last = Math.max(last, at);
    self.set(nodeId, (self.get(nodeId) ?? 0) + delta);
  });
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [nodeId, micros] of self) {
    const frame = nodes.get(nodeId)!.callFrame;
    if (frame.functionName === '(idle)') continue;
    busy += micros;
    const cat = category(frame, root);
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + micros);
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const fn = `${frame.functionName || '(anonymous)'}${where ? ` (${cat.startsWith('runway') ? cat : ''}${where})` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + micros);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]): [string, number] => [k, v / 1000]);
  // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile: thread 0 is the main thread.
  const tid = path.basename(file).split('.')[4];
  return {
    thread: tid === '0' ? 'main thread' : `worker thread ${tid}`,
    busyMs: busy / 1000,
    windowMs: Math.max(last - first, 0) / 1000,
    byCategory: top(byCategory, 8),
    topFunctions: top(byFunction, 8),
  };
}

export function summariseProfiles(dir: string, root: string, window: Window): ThreadProfile[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  } catch {
    return [];
  }
  return files.map((f) => summariseProfile(path.join(dir, f), root, window)).sort((a, b) => b.busyMs - a.busyMs);
}
