// The "Floor" section of docs/benchmarks.md: Runway's figures as ratios to bare workflows run in the same
// bench on the same dev server, with the machine's load around both (absolute times on a shared machine mislead).
import type { Floor } from './floor.js';
import type { Breakdown } from './history.js';
import { mb, mean, ms } from './stats.js';

export interface RunwayFigures {
  soloP50: number;
  perMinute: number;
  workerPeak: number;
  solo: Breakdown[];
  releases: number;
  loadAtRunway: number[];
}

const ratio = (a: number, b: number) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

export function floorSection(f: Floor, r: RunwayFigures): string {
  const steps = mean(r.solo.map((x) => x.activities));
  const tasks = mean(r.solo.map((x) => x.workflowTasks));
  const rows = [
    [
      'One at a time: p50 start → close (Runway: overhead)',
      ms(r.soloP50),
      ms(f.remote.soloP50),
      ms(f.local.soloP50),
      ratio(r.soloP50, f.remote.soloP50),
      ratio(r.soloP50, f.local.soloP50),
    ],
    [
      `${f.burst} at once: completed per minute`,
      r.perMinute.toFixed(0),
      f.remote.perMinute.toFixed(0),
      f.local.perMinute.toFixed(0),
      ratio(r.perMinute, f.remote.perMinute),
      ratio(r.perMinute, f.local.perMinute),
    ],
    [
      'Worker peak RSS (`VmHWM`)',
      mb(r.workerPeak),
      mb(f.workerPeak),
      '(same worker)',
      ratio(r.workerPeak, f.workerPeak),
      '',
    ],
  ];
  const head = ['', 'Runway', 'floor, remote', 'floor, local', 'Runway ÷ remote', 'Runway ÷ local'];
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return `## The floor: Runway beside bare workflows, same run

Before Runway's releases, on the same dev server, the bench runs a bare workflow of ${f.steps} sequential no-op steps
(\`bench/floor-workflows.ts\`, bundled on its own, in its own worker process with default options): once with
ordinary activities (through the task queue, eager dispatch on) and once with local activities, ${f.burst > 0 ? `first alone, then ${f.burst} at once` : 'alone'}.
A Runway release ran ${Number.isFinite(steps) ? steps.toFixed(0) : 'n/a'} activities (remote and local) in
${Number.isFinite(tasks) ? tasks.toFixed(0) : 'n/a'} workflow tasks here. Load average (1 / 5 / 15 min): ${load(f.load.before)} before the floor,
${load(f.load.after)} after it, ${load(r.loadAtRunway)} when Runway's releases began.

${[line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n')}

Floor workflows completed: remote ${f.remote.completed} of ${f.burst}, local ${f.local.completed} of ${f.burst}.
A ratio near 1× to the local floor means Runway costs what the engine costs for that many steps; the remote floor is
what the same steps cost when every one is a task-queue round trip.
`;
}
