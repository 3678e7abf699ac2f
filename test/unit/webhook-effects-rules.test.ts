/**
 * The pure rules behind the webhook effects: which button taps opt out, how a campaign's clicks are
 * estimated from its channel's, and how a contaminated holdout is described.
 */
import { describe, expect, it } from 'vitest';
import { contaminationOf } from '../../src/report/campaign-report.ts';
import { clickWindow, CLICK_WINDOW_MS, estimateClicks } from '../../src/report/click-estimate.ts';
import { capRetryDecision, isUsNumber, MARKETING_CAP_WAIT_MS } from '../../src/producer/marketing-cap-retry.ts';
import { isStopButton } from '../../src/webhooks/parse-webhook.ts';

describe('isStopButton', () => {
  it('takes the marketing template stop button and stop keywords, not other replies', () => {
    expect(isStopButton('Stop promotions', 'Stop promotions')).toBe(true);
    expect(isStopButton('STOP_PROMOTIONS', undefined)).toBe(true);
    expect(isStopButton(undefined, 'Unsubscribe')).toBe(true);
    expect(isStopButton('opt-out', undefined)).toBe(true);
    expect(isStopButton(undefined, 'Parar')).toBe(true);
    expect(isStopButton('SHOW_OFFER', 'Show me the offer')).toBe(false);
    expect(isStopButton(undefined, undefined)).toBe(false);
  });
});

describe('estimateClicks', () => {
  const own = { id: 'a', from: 1_000, to: 10_000, liteSent: 300 };
  it('counts every click in the window when no other campaign sent MM Lite on the channel', () => {
    expect(estimateClicks(own, [], [500, 2_000, 3_000, 11_000])).toMatchObject({ estimated: 2, channelClicks: 2, overlapping: 0 });
  });
  it('shares a click with overlapping campaigns by MM Lite sends, and says so', () => {
    const other = { id: 'b', from: 2_500, to: 20_000, liteSent: 100 };
    const estimate = estimateClicks(own, [other, { id: 'cloud-only', from: 0, to: 30_000, liteSent: 0 }], [2_000, 3_000]);
    expect(estimate).toMatchObject({ estimated: 1.8, channelClicks: 2, overlapping: 1 });
    expect(estimate.method).toContain('shared with the 1 other campaign(s)');
  });
  it('nothing for a campaign that sent nothing through MM Lite', () => {
    expect(estimateClicks({ ...own, liteSent: 0 }, [], [2_000])).toMatchObject({ estimated: 0, channelClicks: 0 });
  });
  it('the window runs from a second before the start to 7 days after the last send', () => {
    expect(clickWindow({ startAt: 5_000, startedAt: 6_000, finishedAt: 9_000 }, 20_000)).toEqual({ from: 5_000, to: 9_000 + CLICK_WINDOW_MS });
    expect(clickWindow({ startAt: 5_000 }, 20_000)).toEqual({ from: 4_000, to: 20_000 + CLICK_WINDOW_MS });
  });
});

describe('contaminationOf', () => {
  it('is null without MM-priced holdout messages and says plainly what it means otherwise', () => {
    expect(contaminationOf(0, 100)).toBeNull();
    const c = contaminationOf(12, 100);
    expect(c).toMatchObject({ viaLite: 12, of: 100 });
    expect(c?.warning).toMatch(/^12 of 100 messages sent to the Cloud API .* contaminated .* opt the number out of smart routing/);
  });
});

describe('131049 retry rules', () => {
  it('tells US numbers from Canadian and Caribbean +1 numbers', () => {
    expect(isUsNumber('12125550123')).toBe(true);
    expect(isUsNumber('+17875550123')).toBe(true); // Puerto Rico: a US area code
    expect(isUsNumber('14165550123')).toBe(false); // Toronto
    expect(isUsNumber('18765550123')).toBe(false); // Jamaica
    expect(isUsNumber('4915112345678')).toBe(false);
    expect(isUsNumber('1212555012')).toBe(false);
  });
  it('waits 24 hours after each failure and never retries a US number', () => {
    expect(capRetryDecision('447800000001', 1_000, 1_000 + MARKETING_CAP_WAIT_MS - 1)).toEqual({ retry: 'later', eligibleAt: 1_000 + MARKETING_CAP_WAIT_MS });
    expect(capRetryDecision('447800000001', 1_000, 1_000 + MARKETING_CAP_WAIT_MS)).toEqual({ retry: 'now' });
    expect(capRetryDecision('12125550123', 0, Number.MAX_SAFE_INTEGER)).toMatchObject({ retry: 'never' });
  });
});
