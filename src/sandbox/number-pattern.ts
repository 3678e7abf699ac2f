/**
 * Compiles a list of phone-number patterns into a fast matcher. A pattern is either an exact
 * number (`"4915112345678"`) or a prefix ending in `*` (`"49*"`); exact numbers go into a Set so
 * long eligibility lists stay O(1) per request.
 */
export function compileNumberMatcher(patterns: readonly string[]): (phone: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const pattern of patterns) {
    if (pattern.endsWith('*')) prefixes.push(pattern.slice(0, -1));
    else exact.add(pattern);
  }
  if (prefixes.length === 0) return (phone) => exact.has(phone);
  return (phone) => exact.has(phone) || prefixes.some((prefix) => phone.startsWith(prefix));
}

/** Whether one number pattern (exact or `prefix*`) matches `phone`. */
export function matchesNumberPattern(pattern: string, phone: string): boolean {
  return pattern.endsWith('*') ? phone.startsWith(pattern.slice(0, -1)) : phone === pattern;
}
