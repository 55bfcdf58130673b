// Linux /proc readings: a process's resident memory, the CPU time of a process and of its threads,
// and the machine description. Each returns undefined where /proc is not available.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** VmRSS (now) and VmHWM (peak over the process's life), in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  const status = read(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status ?? '')?.[1]) * 1024;
  return status ? { rss: kb('VmRSS'), peak: kb('VmHWM') } : undefined;
}

let clockTicks: number | undefined;
const ticksPerSecond = (): number => {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
};

/** Fields of /proc/…/stat after the command name (which may contain spaces). */
function statFields(path: string): { comm: string; fields: string[] } | undefined {
  const stat = read(path);
  if (!stat) return undefined;
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

const cpuMsOf = (fields: string[]) => ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();

/** User + system CPU time of a whole process, in ms. */
export function cpuMs(pid: number): number | undefined {
  const stat = statFields(`/proc/${pid}/stat`);
  return stat && cpuMsOf(stat.fields);
}

/** CPU ms per thread name (threads of the same name summed), e.g. node's main thread vs tokio workers. */
export function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const stat = statFields(`/proc/${pid}/task/${tid}/stat`);
    if (stat) out.set(stat.comm, (out.get(stat.comm) ?? 0) + cpuMsOf(stat.fields));
  }
  return out;
}

/** Direct children of `ppid` whose command name starts with `comm`. */
export function childPids(ppid: number, comm: string): number[] {
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  return pids
    .map((pid) => ({ pid: Number(pid), stat: statFields(`/proc/${pid}/stat`) }))
    .filter(({ stat }) => stat && Number(stat.fields[1]) === ppid && stat.comm.startsWith(comm))
    .map(({ pid }) => pid);
}

/** Linux PSI: % of the last 60 s in which some runnable task waited for a CPU (0 on an idle machine). */
export function cpuPressure(): number | undefined {
  const avg60 = /^some .*avg60=([\d.]+)/m.exec(read('/proc/pressure/cpu') ?? '')?.[1];
  return avg60 === undefined ? undefined : Number(avg60);
}

export function machine(): {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  load: string;
  pressure?: number;
} {
  const model = /^model name\s*:\s*(.+)$/m.exec(read('/proc/cpuinfo') ?? '')?.[1] ?? os.cpus()[0]?.model ?? '?';
  return {
    cpu: model.trim(),
    cores: os.availableParallelism(),
    ramGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    load: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' / '),
    pressure: cpuPressure(),
  };
}

/** Samples a process's RSS (from /proc, or from what the process reports) and keeps the highest. */
export class RssSampler {
  peak = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly pid: number) {}

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.record(memoryOf(this.pid)?.rss ?? 0), intervalMs);
  }

  record(rss: number): void {
    this.peak = Math.max(this.peak, rss);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
