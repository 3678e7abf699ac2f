/**
 * Constant-time comparison of secrets (API token, webhook secret, signatures).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string) => createHash('sha256').update(value).digest();

/** Compares two secrets in constant time (hashing first, so lengths do not leak either). */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** A constant-time check against one fixed secret, hashed once rather than on every request. */
export function secretChecker(expected: string): (given: string) => boolean {
  const digest = sha256(expected);
  return (given) => timingSafeEqual(sha256(given), digest);
}
