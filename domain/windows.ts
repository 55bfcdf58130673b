// Deploy windows and freezes as pure functions of "now": is the environment open, and if not, when
// does it open and why is it closed. Evaluated in an activity (with an injectable clock), never in a workflow.
import type { DeployWindow } from './types.js';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** A freeze from runway.yaml (from–to) or from `/runway freeze` (until may be open-ended). */
export interface ActiveFreeze {
  from?: string;
  /** End of the freeze; undefined = until someone unfreezes. */
  to?: string;
  reason: string;
  by?: string;
}

export interface WindowState {
  open: boolean;
  /** Why it is closed: the freeze's reason, or "outside deploy windows (…)". */
  reason?: string;
  /** The next instant it is open, when known (an open-ended freeze has none). */
  opensAt?: string;
}

interface LocalTime {
  day: number; // 0 = Sunday
  minutes: number; // since local midnight
  year: number;
  month: number;
  date: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(instant: number, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  return {
    day: DAY_NAMES.indexOf(parts.weekday!.toLowerCase().slice(0, 3) as (typeof DAY_NAMES)[number]),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
    year: Number(parts.year),
    month: Number(parts.month),
    date: Number(parts.day),
  };
}

function clockMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** The UTC instant of a local wall-clock time in a zone (the later one when DST makes it ambiguous). */
export function zonedInstant(year: number, month: number, date: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, date, Math.floor(minutes / 60), minutes % 60);
  const offsetAt = (t: number) => {
    const l = localTime(t, timeZone);
    return (
      Date.UTC(l.year, l.month - 1, l.date, Math.floor(l.minutes / 60), l.minutes % 60) -
      Math.floor(t / 60_000) * 60_000
    );
  };
  let guess = wall - offsetAt(wall);
  guess = wall - offsetAt(guess);
  return guess;
}

export function insideWindow(instant: number, window: DeployWindow): boolean {
  const local = localTime(instant, window.timeZone);
  const from = clockMinutes(window.from);
  const to = clockMinutes(window.to);
  const days = new Set(window.days.map((d) => DAY_NAMES.indexOf(d as (typeof DAY_NAMES)[number])));
  if (from === to) return days.has(local.day); // whole day
  if (from < to) return days.has(local.day) && local.minutes >= from && local.minutes < to;
  // Overnight (e.g. 22:00–06:00): the evening part belongs to the day it starts on.
  const yesterday = (local.day + 6) % 7;
  return (days.has(local.day) && local.minutes >= from) || (days.has(yesterday) && local.minutes < to);
}

function freezeAt(instant: number, freezes: ActiveFreeze[]): ActiveFreeze | undefined {
  return freezes.find(
    (f) =>
      (f.from === undefined || Date.parse(f.from) <= instant) && (f.to === undefined || instant < Date.parse(f.to)),
  );
}

function openAt(instant: number, windows: DeployWindow[], freezes: ActiveFreeze[]): boolean {
  if (freezeAt(instant, freezes)) return false;
  return windows.length === 0 || windows.some((w) => insideWindow(instant, w));
}

function describeWindows(windows: DeployWindow[]): string {
  return windows.map((w) => `${w.days.join(',')} ${w.from}–${w.to} ${w.timeZone}`).join('; ');
}

/** Is the environment open at `now`; if not, why, and the first instant (within 15 days) it opens. */
export function windowState(now: number, windows: DeployWindow[], freezes: ActiveFreeze[]): WindowState {
  if (openAt(now, windows, freezes)) return { open: true };
  const freeze = freezeAt(now, freezes);
  const reason = freeze
    ? `frozen${freeze.by ? ` by ${freeze.by}` : ''}: ${freeze.reason}`
    : `outside deploy windows (${describeWindows(windows)})`;
  // Closed turns open only where a window starts or a freeze ends: try those instants in order.
  const candidates = new Set<number>();
  for (const f of freezes) if (f.to && Date.parse(f.to) > now) candidates.add(Date.parse(f.to));
  for (const w of windows) {
    const start = localTime(now, w.timeZone);
    for (let day = -1; day <= 15; day++) {
      const d = new Date(Date.UTC(start.year, start.month - 1, start.date + day));
      const at = zonedInstant(
        d.getUTCFullYear(),
        d.getUTCMonth() + 1,
        d.getUTCDate(),
        clockMinutes(w.from),
        w.timeZone,
      );
      if (at > now) candidates.add(at);
    }
  }
  const opensAt = [...candidates].sort((a, b) => a - b).find((t) => openAt(t, windows, freezes));
  return { open: false, reason, opensAt: opensAt === undefined ? undefined : new Date(opensAt).toISOString() };
}
