// Loads release records for DORA from Temporal (visibility for the list, the status query for each
// timeline) and computes reports, bounded and cached:
// - at most `maxReleases` newest releases per service are scanned, page by page;
// - a closed release's timeline never changes, so it is queried once per process (a query on a
//   closed workflow makes a worker replay its history);
// - reports are cached for `cacheMs`, so scrapes and dashboards do not hammer Temporal.
import type { Logger } from 'pino';
import {
  computeDora,
  releaseRecord,
  type DoraReport,
  type IncidentRecord,
  type ReleaseRecord,
} from '../domain/dora.js';
import type { ReleaseTimeline } from '../domain/types.js';
import { releaseFieldsFromId, releaseLogger } from './release-log.js';
import { errorFields } from './scrub.js';

export interface ReleaseListItem {
  releaseId: string;
  startedAt?: string;
  closedAt?: string;
  temporalStatus: string;
}

/** The part of ReleaseService used here. */
export interface ReleaseReader {
  list(filter: {
    service?: string;
    pageSize?: number;
    pageToken?: string;
  }): Promise<{ releases: ReleaseListItem[]; nextPageToken?: string }>;
  timeline(releaseId: string): Promise<ReleaseTimeline>;
}

export interface DoraSourceOptions {
  reader: ReleaseReader;
  /** service → its production environment (the last environment in runway.yaml). */
  production: Record<string, string>;
  maxReleases?: number;
  cacheMs?: number;
  queryTimeoutMs?: number;
  logger?: Logger;
  now?: () => number;
  /** Incidents between releases (the watchers'), for MTTR; without it MTTR has no samples. */
  incidents?: () => Promise<IncidentRecord[]>;
}

export interface DoraResult extends DoraReport {
  service: string | null;
  /** Releases listed from visibility / timelines that could not be read (left out of the report). */
  releasesScanned: number;
  unavailable: number;
  /** True when the scan stopped at maxReleases for some service: older releases were left out. */
  truncated: boolean;
}

interface Loaded {
  records: ReleaseRecord[];
  scanned: number;
  unavailable: number;
  truncated: boolean;
}

const PAGE_SIZE = 100;
const PARALLEL_QUERIES = 8;
const TIMELINE_CACHE = 5_000;

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

export class DoraSource {
  private readonly maxReleases: number;
  private readonly cacheMs: number;
  private readonly queryTimeoutMs: number;
  private readonly now: () => number;
  private readonly closedTimelines = new Map<string, ReleaseTimeline>();
  private readonly reports = new Map<string, { at: number; value: Promise<DoraResult> }>();

  constructor(private readonly options: DoraSourceOptions) {
    this.maxReleases = options.maxReleases ?? 500;
    this.cacheMs = options.cacheMs ?? 30_000;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  get services(): string[] {
    return Object.keys(this.options.production);
  }

  /** DORA over the last `windowMs` for one service, or for all configured services together. */
  report(service: string | undefined, windowMs: number): Promise<DoraResult> {
    const key = `${service ?? '*'}|${windowMs}`;
    const cached = this.reports.get(key);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.value;
    const value = this.compute(service, windowMs);
    this.reports.set(key, { at: this.now(), value });
    value.catch(() => this.reports.delete(key)); // a failure is not cached
    return value;
  }

  private async compute(service: string | undefined, windowMs: number): Promise<DoraResult> {
    const to = this.now();
    const from = to - windowMs;
    const services = service ? [service] : this.services;
    const [loaded, incidents] = await Promise.all([
      Promise.all(services.map((s) => this.load(s, from))),
      this.incidents(),
    ]);
    const report = computeDora({
      records: loaded.flatMap((l) => l.records),
      productionOf: (s) => this.options.production[s],
      from,
      to,
      incidents: incidents.filter((i) => services.includes(i.service)),
    });
    return {
      service: service ?? null,
      ...report,
      releasesScanned: loaded.reduce((n, l) => n + l.scanned, 0),
      unavailable: loaded.reduce((n, l) => n + l.unavailable, 0),
      truncated: loaded.some((l) => l.truncated),
    };
  }

  /** Incidents are optional: a watcher that cannot be read leaves MTTR without samples, not the report failed. */
  private async incidents(): Promise<IncidentRecord[]> {
    if (!this.options.incidents) return [];
    try {
      return await this.options.incidents();
    } catch (err) {
      this.options.logger?.warn({ err: errorFields(err) }, 'dora: incidents unavailable');
      return [];
    }
  }

  private async load(service: string, from: number): Promise<Loaded> {
    const listed: ReleaseListItem[] = [];
    let pageToken: string | undefined;
    let truncated = false;
    for (;;) {
      const page = await this.options.reader.list({ service, pageSize: PAGE_SIZE, pageToken });
      listed.push(...page.releases);
      if (!page.nextPageToken) break;
      if (listed.length >= this.maxReleases) {
        truncated = true;
        break;
      }
      // Closed releases come newest-closed first: once a whole page closed before the window, stop.
      if (page.releases.every((r) => r.closedAt && Date.parse(r.closedAt) < from)) break;
      pageToken = page.nextPageToken;
    }
    // A release that closed before the window cannot have a production deploy inside it.
    const relevant = listed.slice(0, this.maxReleases).filter((r) => !r.closedAt || Date.parse(r.closedAt) >= from);
    const timelines = await mapLimit(relevant, PARALLEL_QUERIES, (r) => this.timeline(r));
    const records: ReleaseRecord[] = [];
    relevant.forEach((r, i) => {
      const timeline = timelines[i];
      if (!timeline) return;
      const startedAt = Date.parse(r.startedAt ?? timeline.stages[0]?.startedAt ?? '');
      if (Number.isFinite(startedAt)) records.push(releaseRecord(timeline, startedAt));
    });
    return { records, scanned: listed.length, unavailable: relevant.length - records.length, truncated };
  }

  private async timeline(release: ReleaseListItem): Promise<ReleaseTimeline | undefined> {
    const known = this.closedTimelines.get(release.releaseId);
    if (known) return known;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`status query timed out after ${this.queryTimeoutMs} ms`)),
          this.queryTimeoutMs,
        );
      });
      const timeline = await Promise.race([this.options.reader.timeline(release.releaseId), timeout]);
      if (release.temporalStatus !== 'RUNNING') this.remember(release.releaseId, timeline);
      return timeline;
    } catch (err) {
      if (this.options.logger) {
        releaseLogger(this.options.logger, releaseFieldsFromId(release.releaseId)).warn(
          { err: errorFields(err) },
          'dora: timeline unavailable',
        );
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private remember(releaseId: string, timeline: ReleaseTimeline): void {
    this.closedTimelines.set(releaseId, timeline);
    if (this.closedTimelines.size > TIMELINE_CACHE) {
      this.closedTimelines.delete(this.closedTimelines.keys().next().value!);
    }
  }
}
