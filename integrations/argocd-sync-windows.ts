// When do the sync windows that block an application open again? Argo CD only says "blocked by sync window";
// the windows themselves (AppProject `spec.syncWindows`, or the REST `…/syncwindows` answer) hold a cron
// schedule and a duration, evaluated as Argo CD does (pkg/apis/application/v1alpha1 SyncWindow.active,
// SyncWindows.CanSync), so the release can say "blocked by sync window until …".
import { CronExpressionParser } from 'cron-parser';

export interface SyncWindowSpec {
  kind?: string;
  schedule?: string;
  duration?: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
}

/** Go's time.ParseDuration for the units Argo CD windows use (h, m, s; combined like 1h30m). */
export function parseGoDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const re = /(\d+(?:\.\d+)?)(h|m|s|ms)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 }[m[2] as 'h' | 'm' | 's' | 'ms'];
    consumed += m[0].length;
  }
  return consumed === text.length && total > 0 ? total : undefined;
}

function expression(window: SyncWindowSpec, from: Date) {
  return CronExpressionParser.parse(window.schedule ?? '', { currentDate: from, tz: window.timeZone || 'UTC' });
}

/** The end of the window's current activation at `now`, or undefined when it is not active. */
export function activeUntil(window: SyncWindowSpec, now: Date): Date | undefined {
  const duration = parseGoDuration(window.duration);
  if (!duration || !window.schedule) return undefined;
  try {
    // Like SyncWindow.active: the next start after now-duration is before now.
    const start = expression(window, new Date(now.getTime() - duration))
      .next()
      .toDate();
    if (start.getTime() >= now.getTime()) return undefined;
    // Overlapping activations extend it (e.g. every minute for two minutes): follow them, bounded.
    let end = start.getTime() + duration;
    const later = expression(window, start);
    for (let i = 0; i < 500; i++) {
      const next = later.next().toDate().getTime();
      if (next >= end) return new Date(end);
      end = next + duration;
    }
    return undefined; // active for the foreseeable future
  } catch {
    return undefined;
  }
}

function nextStart(window: SyncWindowSpec, now: Date): Date | undefined {
  try {
    return window.schedule ? expression(window, now).next().toDate() : undefined;
  } catch {
    return undefined;
  }
}

/** SyncWindows.CanSync at `now`, for the windows that match the application. */
export function canSync(windows: SyncWindowSpec[], now: Date, manual: boolean): boolean {
  if (windows.length === 0) return true;
  const active = windows.filter((w) => activeUntil(w, now) !== undefined);
  const denies = active.filter((w) => w.kind === 'deny');
  if (denies.length > 0) return manual && denies.every((w) => w.manualSync === true);
  if (active.some((w) => w.kind === 'allow')) return true;
  const inactiveAllows = windows.filter((w) => w.kind === 'allow' && !active.includes(w));
  if (inactiveAllows.length > 0) return manual && inactiveAllows.some((w) => w.manualSync === true);
  return true;
}

/**
 * The first moment after `now` at which a sync is allowed again, trying the ends of active windows and the
 * starts of allow windows; undefined when none is found within a year (or the windows cannot be read).
 */
export function syncAllowedAt(windows: SyncWindowSpec[], now: Date, manual: boolean): Date | undefined {
  if (canSync(windows, now, manual)) return now;
  const horizon = now.getTime() + 366 * 86_400_000;
  let t = now;
  for (let i = 0; i < 50 && t.getTime() < horizon; i++) {
    const candidates = windows
      .flatMap((w) => [activeUntil(w, t), w.kind === 'allow' ? nextStart(w, t) : undefined])
      .filter((d): d is Date => d !== undefined && d.getTime() > t.getTime())
      .sort((a, b) => a.getTime() - b.getTime());
    const first = candidates[0];
    if (!first) return undefined;
    // A moment just inside the new state (cron starts are minute-aligned, window ends exact).
    const probe = new Date(first.getTime() + 1_000);
    if (canSync(windows, probe, manual)) return first;
    t = probe;
  }
  return undefined;
}

/** Shell-style `*` / `?` glob, as Argo CD matches window applications, namespaces and clusters. */
export function globMatch(pattern: string, value: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(value);
}

/** SyncWindows.Matches: the windows whose applications, namespaces or clusters select the app. */
export function windowsFor(
  windows: SyncWindowSpec[],
  app: { name: string; destinationNamespace?: string; destinationServer?: string; destinationName?: string },
): SyncWindowSpec[] {
  return windows.filter(
    (w) =>
      (w.applications ?? []).some((p) => globMatch(p, app.name)) ||
      (app.destinationNamespace !== undefined &&
        (w.namespaces ?? []).some((p) => globMatch(p, app.destinationNamespace!))) ||
      (w.clusters ?? []).some(
        (p) =>
          (app.destinationServer !== undefined && globMatch(p, app.destinationServer)) ||
          (app.destinationName !== undefined && globMatch(p, app.destinationName)),
      ),
  );
}
