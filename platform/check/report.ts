// What `runway check` found: one line per check, with what to fix when it is not fine.

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** temporal, gitlab, argocd, slack, registry, prometheus */
  area: string;
  /** What was checked, e.g. `service payments: project acme/payments visible`. */
  check: string;
  status: CheckStatus;
  detail?: string;
  /** What to do about it, for warn and fail. */
  fix?: string;
}

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '!', fail: '✗', skip: '-' };

export function failed(results: readonly CheckResult[]): boolean {
  return results.some((r) => r.status === 'fail');
}

export function formatText(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  let area = '';
  for (const r of results) {
    if (r.area !== area) {
      area = r.area;
      lines.push('', area);
    }
    lines.push(`  ${MARK[r.status]} ${r.check}${r.detail ? `: ${r.detail}` : ''}`);
    if (r.fix && r.status !== 'ok') lines.push(`      fix: ${r.fix}`);
  }
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push(
    '',
    failed(results)
      ? `${count('fail')} of ${results.length} checks failed, ${count('warn')} warnings: fix the lines marked ✗ and run the check again.`
      : `All ${count('ok')} checks passed${count('warn') ? `, ${count('warn')} warnings` : ''}.`,
  );
  return lines.join('\n').trimStart();
}

export function formatJson(results: readonly CheckResult[]): string {
  return JSON.stringify({ ok: !failed(results), results }, null, 2);
}
