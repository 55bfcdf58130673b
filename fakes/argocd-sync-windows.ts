// Sync windows as Argo CD evaluates them (pkg/apis/application/v1alpha1/types.go): SyncWindow.active (the
// next cron start after now-duration is before now), SyncWindows.Matches (applications / namespaces /
// clusters globs) and SyncWindows.CanSync(isManual). The fake's own copy, written from the Go source, so a
// mistake in Runway's reading of windows is not mirrored here.
import { CronExpressionParser } from 'cron-parser';

export interface FakeSyncWindow {
  kind: 'allow' | 'deny';
  schedule: string;
  duration: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
}

function durationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) {
    total += Number(m[1]) * { h: 3_600_000, m: 60_000, s: 1_000 }[m[2] as 'h' | 'm' | 's'];
  }
  return total;
}

export function windowActive(w: FakeSyncWindow, at: Date): boolean {
  const d = durationMs(w.duration);
  const next = CronExpressionParser.parse(w.schedule, {
    currentDate: new Date(at.getTime() - d),
    tz: w.timeZone || 'UTC',
  })
    .next()
    .toDate();
  return next.getTime() < at.getTime();
}

const glob = (pattern: string, value: string | undefined): boolean =>
  value !== undefined &&
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

export function windowsMatching(
  windows: FakeSyncWindow[],
  app: { name: string; namespace?: string; server?: string; cluster?: string },
): FakeSyncWindow[] {
  return windows.filter(
    (w) =>
      (w.applications ?? []).some((p) => glob(p, app.name)) ||
      (w.namespaces ?? []).some((p) => glob(p, app.namespace)) ||
      (w.clusters ?? []).some((p) => glob(p, app.server) || glob(p, app.cluster)),
  );
}

export function canSync(windows: FakeSyncWindow[], at: Date, isManual: boolean): boolean {
  if (windows.length === 0) return true;
  const active = windows.filter((w) => windowActive(w, at));
  const denies = active.filter((w) => w.kind === 'deny');
  if (denies.length > 0) {
    // hasDeny: manual sync is allowed only when every active deny window enables it.
    return isManual && denies.every((w) => w.manualSync === true);
  }
  if (active.some((w) => w.kind === 'allow')) return true;
  const inactiveAllows = windows.filter((w) => w.kind === 'allow');
  if (inactiveAllows.length > 0) return isManual && inactiveAllows.some((w) => w.manualSync === true);
  return true;
}
