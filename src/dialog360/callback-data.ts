/**
 * `biz_opaque_callback_data` names the campaign and the recipient of a send, so a status webhook
 * can be matched even when MM Lite does not echo it back as expected (then the wamid map is used).
 */

const PREFIX = 'lc1';

/** Encodes campaign id and recipient phone: `lc1:<campaignId>:<phone>`. */
export function encodeCallbackData(campaignId: string, phone: string): string {
  return `${PREFIX}:${campaignId}:${phone}`;
}

/** Decodes what `encodeCallbackData` made; undefined for anything else (another sender's data). */
export function decodeCallbackData(data: string | undefined): { campaignId: string; phone: string } | undefined {
  if (!data) return undefined;
  const parts = data.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX || !parts[1] || !parts[2] || !/^\d+$/.test(parts[2])) return undefined;
  return { campaignId: parts[1], phone: parts[2] };
}
