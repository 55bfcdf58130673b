import { describe, expect, it } from 'vitest';
import { insideWindow, windowState, zonedInstant } from '../../domain/windows.js';
import type { DeployWindow } from '../../domain/types.js';

const weekdays: DeployWindow = {
  days: ['mon', 'tue', 'wed', 'thu'],
  from: '09:00',
  to: '16:00',
  timeZone: 'Europe/Paris',
};
const at = (iso: string) => Date.parse(iso);

describe('deploy windows', () => {
  it('is open inside a window, in the window’s time zone', () => {
    // 2026-11-30 is a Monday; Paris is UTC+1 in winter.
    expect(insideWindow(at('2026-11-30T08:00:00Z'), weekdays)).toBe(true); // 09:00 Paris
    expect(insideWindow(at('2026-11-30T07:59:00Z'), weekdays)).toBe(false);
    expect(insideWindow(at('2026-11-30T15:00:00Z'), weekdays)).toBe(false); // 16:00, end is exclusive
    expect(insideWindow(at('2026-12-04T10:00:00Z'), weekdays)).toBe(false); // Friday
  });

  it('says when a closed environment opens: next morning, skipping days without a window', () => {
    expect(windowState(at('2026-11-30T20:00:00Z'), [weekdays], [])).toEqual({
      open: false,
      reason: 'outside deploy windows (mon,tue,wed,thu 09:00–16:00 Europe/Paris)',
      opensAt: '2026-12-01T08:00:00.000Z',
    });
    // Thursday evening → Monday morning.
    expect(windowState(at('2026-12-03T17:00:00Z'), [weekdays], []).opensAt).toBe('2026-12-07T08:00:00.000Z');
  });

  it('handles overnight windows and daylight saving time', () => {
    const night: DeployWindow = { days: ['sat'], from: '22:00', to: '04:00', timeZone: 'America/New_York' };
    // Saturday 23:00 New York (UTC-5) and Sunday 03:00 belong to Saturday's window.
    expect(insideWindow(at('2026-12-06T04:00:00Z'), night)).toBe(true);
    expect(insideWindow(at('2026-12-06T08:00:00Z'), night)).toBe(true);
    expect(insideWindow(at('2026-12-06T09:00:00Z'), night)).toBe(false);
    // 2026-03-29 Paris switches to UTC+2: 09:00 local is 07:00Z.
    expect(zonedInstant(2026, 3, 30, 9 * 60, 'Europe/Paris')).toBe(at('2026-03-30T07:00:00Z'));
    expect(zonedInstant(2026, 3, 27, 9 * 60, 'Europe/Paris')).toBe(at('2026-03-27T08:00:00Z'));
  });

  it('a freeze closes an open window until it ends; an open-ended one has no opening time', () => {
    const freeze = { from: '2026-11-30T00:00:00Z', to: '2026-11-30T12:00:00Z', reason: 'Black Friday' };
    expect(windowState(at('2026-11-30T10:00:00Z'), [weekdays], [freeze])).toEqual({
      open: false,
      reason: 'frozen: Black Friday',
      opensAt: '2026-11-30T12:00:00.000Z',
    });
    expect(windowState(at('2026-11-30T12:00:00Z'), [weekdays], [freeze])).toEqual({ open: true });
    const runtime = { from: '2026-11-30T00:00:00Z', reason: 'incident', by: 'alice' };
    expect(windowState(at('2026-11-30T10:00:00Z'), [], [runtime])).toEqual({
      open: false,
      reason: 'frozen by alice: incident',
      opensAt: undefined,
    });
  });

  it('no windows and no freezes: always open', () => {
    expect(windowState(at('2026-11-29T03:00:00Z'), [], [])).toEqual({ open: true });
  });
});
