/**
 * Where a recipient is, for intake: whether their number can exist in its country (the phone
 * library's numbering plans), and which time zone their send window is read in (a `timezone`
 * column when the file has one, else the number's country).
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { isTimeZone } from '../shared/send-window.ts';
import { countryTimeZone } from './country-time-zones.ts';

/** The zone used when a number's country is unknown (non-geographic numbers such as +800). */
export const FALLBACK_ZONE = 'UTC';

export type PhoneCountry = { ok: true; country?: string } | { ok: false; reason: string };

/**
 * Checks a normalised number (digits, country code first) against its country's numbering plan:
 * an unknown country code or a length no number of that country has is refused with the reason.
 * Only the length is judged ("possible"), not the number ranges ("valid"): ranges change faster
 * than a release, and test and fictional ranges (US 555) must stay sendable to a sandbox.
 */
export function checkPhoneCountry(digits: string): PhoneCountry {
  // WhatsApp ids of Mexican mobiles still carry the "1" Mexico dropped in 2019 (52 1 55…): judge the number without it.
  const judged = /^521\d{10}$/.test(digits) ? `52${digits.slice(3)}` : digits;
  const parsed = parsePhoneNumberFromString(`+${judged}`);
  if (!parsed) return { ok: false, reason: `+${digits.slice(0, 20)} starts with no known country code` };
  if (!parsed.isPossible()) {
    const where = parsed.country ?? `country code +${parsed.countryCallingCode}`;
    return { ok: false, reason: `+${digits} cannot exist in ${where}: no number there has ${parsed.nationalNumber.length} digits after the country code` };
  }
  return parsed.country ? { ok: true, country: parsed.country } : { ok: true };
}

/** The zone of a recipient: the `timezone` value when given (checked by the caller), else their country's. */
export function recipientZone(country: string | undefined, timezone: string | undefined): string {
  if (timezone) return timezone;
  return (country && countryTimeZone(country)) || FALLBACK_ZONE;
}

/** Why a `timezone` cell is unusable, or undefined when it names an IANA zone. */
export function timeZoneProblem(value: string): string | undefined {
  return isTimeZone(value) ? undefined : `timezone "${value.slice(0, 64)}" is not an IANA time zone name such as Europe/Berlin or America/New_York`;
}
