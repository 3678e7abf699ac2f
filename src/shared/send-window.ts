/**
 * Send windows in a recipient's local time ("09:00-20:00", or "22:00-06:00" across midnight): is a
 * zone's window open at a moment, when does it open next, when does it close. Pure: every function
 * takes the moment as an argument, so tests run on any clock.
 */

/** A daily window, in minutes after local midnight; `end` is exclusive; end < start crosses midnight. */
export type SendWindow = { start: number; end: number; text: string };

const WINDOW = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$/;
const DAY_MINUTES = 1440;
const MINUTE_MS = 60_000;

/** Why `text` is not a send window, or undefined when it is one. */
export function sendWindowProblem(text: string): string | undefined {
  const match = WINDOW.exec(text);
  if (!match) return 'must be HH:MM-HH:MM in the recipient\'s local time, e.g. 09:00-20:00 (22:00-06:00 crosses midnight)';
  const [, sh = '', sm = '', eh = '', em = ''] = match;
  const start = Number(sh) * 60 + Number(sm);
  const end = Number(eh) * 60 + Number(em);
  if (end > DAY_MINUTES) return 'must end at 24:00 at the latest';
  if (start === end % DAY_MINUTES) return 'opens and closes at the same time: leave sendWindow out to send at any hour';
  return undefined;
}

/** Parses a window checked with {@link sendWindowProblem} (throws on a bad one). */
export function parseSendWindow(text: string): SendWindow {
  const problem = sendWindowProblem(text);
  if (problem) throw new Error(`sendWindow "${text}": ${problem}`);
  const [from = '', to = ''] = text.split('-');
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return { start: minutes(from), end: minutes(to) % DAY_MINUTES, text };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** True for an IANA zone name this runtime knows ("Europe/Berlin", "UTC"); offsets and abbreviations are not zones. */
export function isTimeZone(zone: string): boolean {
  if (!/^(?:UTC|[A-Z][A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+)$/.test(zone)) return false;
  try {
    formatterFor(zone);
    return true;
  } catch {
    return false;
  }
}

/** Minutes after local midnight in `zone` at `at` (with the seconds as a fraction). */
export function localMinute(zone: string, at: number): number {
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(zone).formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return hour * 60 + minute + second / 60 + (((at % 1000) + 1000) % 1000) / MINUTE_MS;
}

function inside(window: SendWindow, minute: number): boolean {
  return window.start < window.end ? minute >= window.start && minute < window.end : minute >= window.start || minute < window.end;
}

/** True when the window is open in `zone` at `at`. */
export function isWindowOpen(window: SendWindow, zone: string, at: number): boolean {
  return inside(window, localMinute(zone, at));
}

/** Milliseconds from local minute `from` forward to local minute `to` (0 when equal). */
const forward = (from: number, to: number) => ((((to - from) % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES) * MINUTE_MS;

/**
 * The first moment at or after `at` when the window is open in `zone` (`at` itself when open).
 * Daylight-saving changes are corrected once: the guess is re-read in local time and moved by the
 * difference (an opening inside a skipped hour opens when the clock resumes).
 */
export function nextWindowOpening(window: SendWindow, zone: string, at: number): number {
  const now = localMinute(zone, at);
  if (inside(window, now)) return at;
  let guess = at + forward(now, window.start);
  const local = localMinute(zone, guess);
  if (!inside(window, local) || Math.abs(local - window.start) > 1 / 60) {
    const drift = ((((window.start - local) % DAY_MINUTES) + DAY_MINUTES + DAY_MINUTES / 2) % DAY_MINUTES) - DAY_MINUTES / 2;
    const corrected = guess + drift * MINUTE_MS;
    if (corrected > at && isWindowOpen(window, zone, corrected)) guess = corrected;
  }
  return Math.ceil(guess);
}

/** When a window open in `zone` at `at` closes (the first moment after `at` outside it). */
export function windowClosing(window: SendWindow, zone: string, at: number): number {
  const now = localMinute(zone, at);
  const span = forward(now, window.end);
  return Math.ceil(at + (span === 0 ? DAY_MINUTES * MINUTE_MS : span));
}
