// Decides, from one Argo CD Application status, whether a deploy of `revision` is done, still going, or failed.
// Pure, so the health-wait activity and the tests share exactly one definition of "healthy".
import type { AppStatus } from '../activities/ports.js';

export type HealthVerdict =
  { state: 'healthy' } | { state: 'waiting'; reason: string } | { state: 'failed'; reason: string };

export interface HealthContext {
  revision: string;
  /** How long the app has been Degraded (on this revision) so far, in ms; 0 when it is not. */
  degradedForMs: number;
  degradedGraceMs: number;
}

export function describeStatus(s: AppStatus): string {
  const parts = [`sync=${s.syncStatus}`, `health=${s.health}`];
  if (s.syncRevision) parts.push(`revision=${s.syncRevision.slice(0, 12)}`);
  if (s.operationPhase) parts.push(`operation=${s.operationPhase}`);
  if (s.operationMessage) parts.push(`message="${s.operationMessage}"`);
  if (s.healthMessage) parts.push(`healthMessage="${s.healthMessage}"`);
  return parts.join(' ');
}

export function evaluateHealth(status: AppStatus, ctx: HealthContext): HealthVerdict {
  const operationIsOurs = !status.operationRevision || status.operationRevision === ctx.revision;
  if (operationIsOurs && (status.operationPhase === 'Failed' || status.operationPhase === 'Error')) {
    return {
      state: 'failed',
      reason: `sync operation ${status.operationPhase}: ${status.operationMessage ?? 'no message'}`,
    };
  }
  if (status.syncRevision !== ctx.revision) {
    return {
      state: 'waiting',
      reason: `waiting for revision ${ctx.revision.slice(0, 12)} (${describeStatus(status)})`,
    };
  }
  if (status.health === 'Degraded') {
    if (ctx.degradedForMs >= ctx.degradedGraceMs) {
      return { state: 'failed', reason: `application Degraded: ${status.healthMessage ?? 'no message'}` };
    }
    return { state: 'waiting', reason: `Degraded for ${ctx.degradedForMs} ms (grace ${ctx.degradedGraceMs} ms)` };
  }
  if (status.syncStatus !== 'Synced') return { state: 'waiting', reason: describeStatus(status) };
  if (status.operationPhase !== 'Succeeded') return { state: 'waiting', reason: describeStatus(status) };
  if (!operationIsOurs) return { state: 'waiting', reason: `last operation was for ${status.operationRevision}` };
  // Missing (resources not created yet), Unknown (controller has not assessed), Progressing, Suspended: keep waiting;
  // the overall health timeout bounds the wait.
  if (status.health !== 'Healthy') return { state: 'waiting', reason: describeStatus(status) };
  return { state: 'healthy' };
}
