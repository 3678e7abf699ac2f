/**
 * The channel's templates, fetched from 360dialog (`GET /v1/configs/templates`) and cached per
 * channel, so creating many campaigns does not list the templates each time.
 */
import { parseTemplateListing, type ChannelTemplate } from './channel-templates.ts';
import type { DialogClient } from './client.ts';

/** Lists a channel's templates; throws with the HTTP status and a snippet when 360dialog refuses. */
export async function fetchChannelTemplates(client: Pick<DialogClient, 'getJson'>): Promise<ChannelTemplate[]> {
  const answer = await client.getJson('/v1/configs/templates');
  if (answer.status !== 200) throw new Error(`GET /v1/configs/templates answered HTTP ${answer.status}: ${answer.body.slice(0, 200)}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.body);
  } catch {
    throw new Error(`GET /v1/configs/templates answered a body that is not JSON: ${answer.body.slice(0, 200)}`);
  }
  return parseTemplateListing(body);
}

/** Templates per channel id, each kept for `ttlMs`. */
export type TemplateCache = {
  /** The channel's templates, from the cache when fresh, else fetched with `client`. */
  get(channelId: string, client: Pick<DialogClient, 'getJson'>): Promise<ChannelTemplate[]>;
  /** Forgets one channel (or all), e.g. after a template status webhook. */
  invalidate(channelId?: string): void;
  close(): void;
};

/** Creates a cache; `ttlMs` defaults to 5 minutes (templates change rarely; a status webhook can invalidate). */
export function createTemplateCache(deps: { ttlMs?: number; now?: () => number } = {}): TemplateCache {
  const ttlMs = deps.ttlMs ?? 5 * 60_000;
  const now = deps.now ?? Date.now;
  const entries = new Map<string, { at: number; templates: Promise<ChannelTemplate[]> }>();
  return {
    get(channelId, client) {
      const entry = entries.get(channelId);
      if (entry !== undefined && now() - entry.at < ttlMs) return entry.templates;
      const templates = fetchChannelTemplates(client);
      entries.set(channelId, { at: now(), templates });
      // A failed listing is not cached: the next campaign asks again.
      templates.catch(() => {
        if (entries.get(channelId)?.templates === templates) entries.delete(channelId);
      });
      return templates;
    },
    invalidate(channelId) {
      if (channelId === undefined) entries.clear();
      else entries.delete(channelId);
    },
    close() {
      entries.clear();
    },
  };
}
