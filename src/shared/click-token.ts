/**
 * The per-recipient click token for URL buttons. Meta's click webhook names no recipient, but Meta
 * appends a `click_id` to the URL it opens; when the button's URL parameter is `{{click_token}}`,
 * litecast fills it per recipient, so the business's landing page receives both and can join the
 * click with the recipient. The token is `base64url(SHA-256("litecast-click:<campaign id>:<phone>"))`
 * cut to 22 characters: the business computes the same from its own recipient list to map tokens
 * back to phones. It is a pseudonym, not a secret (whoever knows the campaign id can test guesses).
 */
import { createHash } from 'node:crypto';

/** The reserved placeholder litecast fills itself (no recipient column needed). */
export const CLICK_TOKEN_PLACEHOLDER = 'click_token';

/** The click token of one recipient of one campaign. */
export function clickTokenFor(campaignId: string, phone: string): string {
  return createHash('sha256').update(`litecast-click:${campaignId}:${phone}`).digest('base64url').slice(0, 22);
}

/** The placeholders a recipient must supply: all but the ones litecast fills. */
export function recipientPlaceholders(names: readonly string[]): string[] {
  return names.filter((name) => name !== CLICK_TOKEN_PLACEHOLDER);
}
