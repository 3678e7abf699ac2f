/**
 * Where a channel may point. A channel's base URL receives its API key on every send, so it must
 * be one of the allowed origins (`LITECAST_ALLOWED_BASE_URLS`: 360dialog plus loopback for the
 * sandbox by default), never an internal service or a cloud metadata address, and never carry
 * credentials (they would be stored and shown).
 */
import { LitecastError } from './errors.ts';

/** True when `url` carries a user name or password. */
export function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false;
  }
}

/** `url` with any credentials taken out, for display (channels stored before the check). */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === '' && parsed.password === '') return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/**
 * True when `url`'s scheme and host match an allowed entry; an entry without a port allows any
 * port (the sandbox listens on a random one), an entry with a port only that port.
 */
export function isAllowedBaseUrl(url: string, allowed: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    try {
      const rule = new URL(entry);
      return rule.protocol === target.protocol && rule.hostname === target.hostname && (rule.port === '' || rule.port === target.port);
    } catch {
      return false;
    }
  });
}

/** Throws LITECAST_ERR_FORBIDDEN_BASE_URL unless `url` may be a channel's base URL; never echoes credentials. */
export function assertAllowedBaseUrl(url: string, allowed: readonly string[]): void {
  if (hasCredentials(url)) {
    throw new LitecastError('LITECAST_ERR_FORBIDDEN_BASE_URL', 'Invalid channel: baseUrl: must not contain a user name or password; the API key goes in apiKey.');
  }
  if (!isAllowedBaseUrl(url, allowed)) {
    throw new LitecastError(
      'LITECAST_ERR_FORBIDDEN_BASE_URL',
      `Invalid channel: baseUrl: ${new URL(url).origin} is not an allowed 360dialog address (allowed: ${allowed.join(', ')}); add it to LITECAST_ALLOWED_BASE_URLS if it really is one.`,
    );
  }
}
