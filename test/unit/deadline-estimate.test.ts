/** The deadline preflight's arithmetic, the intake's timing decisions and the status projection, on a fixed clock. */
import { describe, expect, it } from 'vitest';
import { estimateDeadline } from '../../src/shared/deadline-estimate.ts';
import { parseSendWindow } from '../../src/shared/send-window.ts';
import { deadlineWarning, firstRunTimes } from '../../src/producer/intake-timing.ts';
import { projectTiming } from '../../src/shared/timing-projection.ts';
import { checkPhoneCountry, recipientZone, timeZoneProblem } from '../../src/producer/recipient-zone.ts';
import { agedPriority, jobPriority } from '../../src/shared/batch-priority.ts';
import { frequencyCapProblem, parseFrequencyCap } from '../../src/shared/frequency-cap.ts';

const t0 = Date.parse('2026-12-01T12:00:00Z');
const HOUR = 3_600_000;

describe('deadline estimate', () => {
  it('without a window: what the rate sends before the deadline, behind what is queued', () => {
    expect(estimateDeadline({ from: t0, deadline: t0 + HOUR, mps: 1, queuedAhead: 0, groups: [{ zone: 'UTC', recipients: 3_000 }] })).toEqual({ expiring: 0, finishAt: t0 + 3_000_000 });
    expect(estimateDeadline({ from: t0, deadline: t0 + HOUR, mps: 1, queuedAhead: 1_000, groups: [{ zone: 'UTC', recipients: 3_000 }] })).toEqual({ expiring: 400, finishAt: null });
  });

  it('with a window: only open hours count, per zone', () => {
    const window = parseSendWindow('09:00-10:00');
    // Berlin 09:00-10:00 is 08:00-09:00 UTC; from noon UTC with a 24 h deadline only tomorrow's hour is left.
    const one = estimateDeadline({ from: t0, deadline: t0 + 24 * HOUR, mps: 1, queuedAhead: 0, groups: [{ zone: 'Europe/Berlin', recipients: 5_000 }], window });
    expect(one.expiring).toBe(5_000 - 3_600);
    // Two zones whose hours do not overlap each get their own hour.
    const two = estimateDeadline({ from: t0, deadline: t0 + 24 * HOUR, mps: 1, queuedAhead: 0, groups: [{ zone: 'Europe/Berlin', recipients: 3_000 }, { zone: 'America/New_York', recipients: 3_000 }], window });
    // New York's hour (14:00 UTC today) first, then Berlin's (08:00 UTC tomorrow).
    expect(two).toEqual({ expiring: 0, finishAt: Date.parse('2026-12-02T08:00:00Z') + 3_000_000 });
  });

  it('warns with the number at risk, and names the window that never opens', () => {
    const spec = { startAt: t0, ttlSeconds: 43_200 };
    expect(deadlineWarning(spec, [{ zone: 'UTC', recipients: 100 }], { mps: 80, queuedAhead: 0 })).toBeUndefined();
    const warning = deadlineWarning(spec, [{ zone: 'UTC', recipients: 100_000 }], { mps: 1, queuedAhead: 0 });
    expect(warning).toMatchObject({ code: 'DEADLINE_AT_RISK', recipients: 100_000 - 43_200, mps: 1, queuedAhead: 0, deadline: '2026-12-02T00:00:00.000Z' });
    // 12 h TTL from noon UTC: Tokyo's 09:00-10:00 (00:00 UTC) comes exactly at the deadline.
    expect(() => firstRunTimes({ ...spec, sendWindow: '09:00-10:00' }, new Map([['Europe/Berlin', 0], ['Asia/Tokyo', 2]]))).toThrow(/sendWindow: 09:00-10:00 never opens before the deadline .* in Asia\/Tokyo \(2 recipients\)/);
    const times = firstRunTimes({ startAt: t0, sendWindow: '09:00-20:00' }, new Map([['Europe/Berlin', 1], ['America/New_York', 1]]));
    expect(times.get('Europe/Berlin')).toBe(t0);
    expect(times.get('America/New_York')).toBe(Date.parse('2026-12-01T14:00:00Z'));
  });

  it('projects waiting and expiring recipients of a running campaign', () => {
    const campaign = { startAt: t0 - HOUR, ttlSeconds: 43_200, sendWindow: '09:00-20:00', preflightMps: 1 };
    const zones = new Map([['Europe/Berlin', 50], ['America/Los_Angeles', 50]]);
    const p = projectTiming(campaign, zones, 10, t0);
    expect(p.waitingForWindow).toBe(5); // Los Angeles is at 04:00
    expect(p.projectedExpiries).toBe(0);
    expect(p.finishInSeconds).toBe((Date.parse('2026-12-01T17:00:00Z') - t0) / 1000 + 5);
    const late = projectTiming({ ...campaign, preflightMps: 0.0001 }, zones, 100, t0);
    expect(late.projectedExpiries).toBeGreaterThan(90);
  });
});

describe('recipient zones and phone checks', () => {
  it('refuses numbers that cannot exist in their country, with the reason', () => {
    expect(checkPhoneCountry('4915112345678')).toEqual({ ok: true, country: 'DE' });
    expect(checkPhoneCountry('5215512345678')).toMatchObject({ ok: true, country: 'MX' });
    expect(checkPhoneCountry('4420000000')).toEqual({ ok: false, reason: expect.stringMatching(/cannot exist in country code \+44: no number there has 8 digits/) as string });
    expect(checkPhoneCountry('99912345678')).toMatchObject({ ok: false, reason: expect.stringMatching(/no known country code/) as string });
  });

  it('takes the timezone column, else the country, the most populous zone of a country with several', () => {
    expect(recipientZone('DE', undefined)).toBe('Europe/Berlin');
    expect(recipientZone('US', undefined)).toBe('America/New_York');
    expect(recipientZone('RU', undefined)).toBe('Europe/Moscow');
    expect(recipientZone('BR', undefined)).toBe('America/Sao_Paulo');
    expect(recipientZone('US', 'America/Los_Angeles')).toBe('America/Los_Angeles');
    expect(recipientZone(undefined, undefined)).toBe('UTC');
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('Berlin')).toMatch(/not an IANA time zone/);
  });
});

describe('priorities and frequency caps', () => {
  it('maps priorities to BullMQ levels and ages waiting batches up one level per step', () => {
    expect([jobPriority('high'), jobPriority(undefined), jobPriority('low')]).toEqual([1, 2, 3]);
    expect(agedPriority(3, t0, t0 + 9 * 60_000, 10 * 60_000)).toBe(3);
    expect(agedPriority(3, t0, t0 + 10 * 60_000, 10 * 60_000)).toBe(2);
    expect(agedPriority(3, t0, t0 + 60 * 60_000, 10 * 60_000)).toBe(1);
  });

  it('parses caps such as 2/7d', () => {
    expect(parseFrequencyCap('2/7d')).toEqual({ max: 2, periodMs: 7 * 86_400_000, text: '2/7d' });
    expect(parseFrequencyCap('1/12h').periodMs).toBe(12 * HOUR);
    expect(frequencyCapProblem('2 per week')).toMatch(/2\/7d/);
    expect(frequencyCapProblem('0/7d')).toBeDefined();
    expect(frequencyCapProblem('1/400d')).toMatch(/366d/);
  });
});
