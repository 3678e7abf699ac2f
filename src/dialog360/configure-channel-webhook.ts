/**
 * Sets a channel's webhook at 360dialog (`POST /v1/configs/webhook` with `{"url","headers"}`,
 * whatsapp-api.md §6) with the secret header litecast checks, then reads the configuration back so
 * the caller can show what 360dialog actually holds.
 */
import type { DialogClient } from './client.ts';

/** The webhook configuration as 360dialog reports it. */
export type WebhookConfig = { url: string | null; headers: Record<string, string> };

function readConfig(body: string, what: string): WebhookConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`${what} answered a body that is not JSON: ${body.slice(0, 200)}`);
  }
  const root = (parsed ?? {}) as { url?: unknown; headers?: unknown };
  const headers: Record<string, string> = {};
  if (root.headers !== null && typeof root.headers === 'object') {
    for (const [name, value] of Object.entries(root.headers)) if (typeof value === 'string') headers[name] = value;
  }
  return { url: typeof root.url === 'string' ? root.url : null, headers };
}

/** Reads the channel's current webhook configuration (`GET /v1/configs/webhook`). */
export async function getChannelWebhook(client: Pick<DialogClient, 'getJson'>): Promise<WebhookConfig> {
  const answer = await client.getJson('/v1/configs/webhook');
  if (answer.status !== 200) throw new Error(`GET /v1/configs/webhook answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  return readConfig(answer.body, 'GET /v1/configs/webhook');
}

/**
 * Points the channel's webhook at `url` with `secretHeader` (e.g. `{ name: 'x-litecast-secret',
 * value }`) and returns the configuration read back; throws when 360dialog refuses or reports
 * another URL.
 */
export async function configureChannelWebhook(
  client: Pick<DialogClient, 'postJson' | 'getJson'>,
  url: string,
  secretHeader: { name: string; value: string },
): Promise<WebhookConfig> {
  const answer = await client.postJson('/v1/configs/webhook', { url, headers: { [secretHeader.name]: secretHeader.value } });
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`POST /v1/configs/webhook answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  }
  const current = await getChannelWebhook(client);
  if (current.url !== url) throw new Error(`360dialog reports webhook URL ${current.url ?? '(none)'} instead of ${url}`);
  return current;
}
