/**
 * The whole verdict on one phone cell of a recipient file: normalised to digits
 * (normalize-phone.ts), then checked against its country's numbering plan (recipient-zone.ts).
 * Pure, so intake can run it on a helper thread (phone-checker.ts) and tests can call it directly.
 */
import { normalizePhone } from './normalize-phone.ts';
import { checkPhoneCountry } from './recipient-zone.ts';

/** The digits-only international number and its country when the plan names one, or why the cell is refused. */
export type PhoneJudgement = { ok: true; phone: string; country?: string } | { ok: false; reason: string };

export function judgePhone(raw: string): PhoneJudgement {
  const normalized = normalizePhone(raw);
  if (!normalized.ok) return normalized;
  const country = checkPhoneCountry(normalized.phone);
  if (!country.ok) return country;
  return country.country === undefined ? { ok: true, phone: normalized.phone } : { ok: true, phone: normalized.phone, country: country.country };
}
