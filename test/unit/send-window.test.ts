/** Send windows across zones, midnight and daylight-saving changes, on a fixed clock. */
import { describe, expect, it } from 'vitest';
import { isTimeZone, isWindowOpen, nextWindowOpening, parseSendWindow, sendWindowProblem, windowClosing } from '../../src/shared/send-window.ts';

const at = (iso: string) => Date.parse(iso);

describe('send windows', () => {
  it('parses HH:MM-HH:MM and refuses what is not a window', () => {
    expect(parseSendWindow('09:00-20:00')).toMatchObject({ start: 540, end: 1200 });
    expect(parseSendWindow('22:00-06:00')).toMatchObject({ start: 1320, end: 360 });
    expect(parseSendWindow('08:00-24:00')).toMatchObject({ start: 480, end: 0 });
    expect(sendWindowProblem('9-20')).toMatch(/HH:MM-HH:MM/);
    expect(sendWindowProblem('10:00-10:00')).toMatch(/same time/);
    expect(sendWindowProblem('25:00-10:00')).toBeDefined();
  });

  it('reads the window in each recipient zone', () => {
    const w = parseSendWindow('09:00-20:00');
    const noonUtc = at('2026-12-01T12:00:00Z');
    expect(isWindowOpen(w, 'Europe/Berlin', noonUtc)).toBe(true); // 13:00
    expect(isWindowOpen(w, 'America/New_York', noonUtc)).toBe(false); // 07:00
    expect(isWindowOpen(w, 'Asia/Tokyo', noonUtc)).toBe(false); // 21:00
    expect(nextWindowOpening(w, 'Europe/Berlin', noonUtc)).toBe(noonUtc);
    expect(nextWindowOpening(w, 'America/New_York', noonUtc)).toBe(at('2026-12-01T14:00:00Z'));
    expect(nextWindowOpening(w, 'Asia/Tokyo', noonUtc)).toBe(at('2026-12-02T00:00:00Z'));
    expect(windowClosing(w, 'Europe/Berlin', noonUtc)).toBe(at('2026-12-01T19:00:00Z'));
  });

  it('handles windows across midnight', () => {
    const w = parseSendWindow('22:00-06:00');
    expect(isWindowOpen(w, 'UTC', at('2026-12-01T23:30:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'UTC', at('2026-12-01T05:59:00Z'))).toBe(true);
    expect(isWindowOpen(w, 'UTC', at('2026-12-01T06:00:00Z'))).toBe(false);
    expect(nextWindowOpening(w, 'UTC', at('2026-12-01T06:00:00Z'))).toBe(at('2026-12-01T22:00:00Z'));
    expect(windowClosing(w, 'UTC', at('2026-12-01T23:00:00Z'))).toBe(at('2026-12-02T06:00:00Z'));
    // Sydney is UTC+11 in December: 22:00 local is 11:00 UTC.
    expect(nextWindowOpening(w, 'Australia/Sydney', at('2026-12-01T00:00:00Z'))).toBe(at('2026-12-01T11:00:00Z'));
  });

  it('opens at local opening time across a daylight-saving change', () => {
    const w = parseSendWindow('09:00-20:00');
    // Berlin changes to summer time on 2026-03-29 (02:00 → 03:00): 09:00 is 07:00 UTC that day.
    expect(nextWindowOpening(w, 'Europe/Berlin', at('2026-03-28T20:00:00Z'))).toBe(at('2026-03-29T07:00:00Z'));
    // New York falls back on 2026-11-01: 09:00 is 14:00 UTC that day.
    expect(nextWindowOpening(w, 'America/New_York', at('2026-11-01T02:00:00Z'))).toBe(at('2026-11-01T14:00:00Z'));
  });

  it('knows IANA zone names from offsets and abbreviations', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('+01:00')).toBe(false);
    expect(isTimeZone('CET')).toBe(false);
  });
});
