/**
 * When a recipient withheld by Meta's per-user marketing cap (131049) may be sent again. Meta asks
 * for at least 24 hours after the failure (a resend sooner extends the block) and never delivers
 * marketing to US numbers (+1 with a US area code), so those are not retried at all
 * (whatsapp-api.md §9). Pure.
 */

/** Meta's minimum wait after a 131049 before sending marketing to that user again. */
export const MARKETING_CAP_WAIT_MS = 24 * 3_600_000;

/**
 * NANP area codes outside the US (Canada and the Caribbean countries): +1 numbers with these are
 * not US numbers. US territories (Puerto Rico, the US Virgin Islands, Guam…) count as US.
 */
const NON_US_NANP_AREA_CODES: ReadonlySet<string> = new Set(
  (
    // Canada
    '204 226 236 249 250 257 263 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 468 474 506 514 519 537 548 ' +
    '579 581 584 587 600 604 613 622 639 647 672 683 705 709 742 753 778 780 782 807 819 825 867 873 879 902 905 942 ' +
    // Caribbean and Atlantic countries
    '242 246 264 268 284 345 441 473 649 658 664 721 758 767 784 809 829 849 868 869 876'
  ).split(' '),
);

/** True for a US number: `1`, then a 10-digit number whose area code is not Canadian or Caribbean. */
export function isUsNumber(phone: string): boolean {
  const digits = phone.replace(/^\+/, '');
  return /^1[2-9]\d{9}$/.test(digits) && !NON_US_NANP_AREA_CODES.has(digits.slice(1, 4));
}

export type CapRetryDecision = { retry: 'now' } | { retry: 'later'; eligibleAt: number } | { retry: 'never'; reason: string };

/** Whether a 131049 recipient may be sent again at `now`, given when it failed. */
export function capRetryDecision(phone: string, failedAt: number, now: number): CapRetryDecision {
  if (isUsNumber(phone)) return { retry: 'never', reason: 'US number: Meta does not deliver marketing messages to US numbers' };
  const eligibleAt = failedAt + MARKETING_CAP_WAIT_MS;
  return now >= eligibleAt ? { retry: 'now' } : { retry: 'later', eligibleAt };
}
