/**
 * The MM Lite refusal memory shared by every worker through Redis: once one worker learns that a
 * channel is not onboarded (or a template is not eligible), all of them send that channel's
 * messages straight to `/messages` until the entry expires and the next message probes again.
 * Reads are cached in-process for a few seconds so the send loop pays no Redis call per message;
 * while a read is on its way, every other send asking for the same scope waits for that one read
 * (without it, each expiry sent one GET per lane in flight: about one GET per message measured).
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import { CHANNEL_SCOPE, type LiteEligibilityMemory, type LiteRefusal } from '../shared/route-decision.ts';
import type { Keys } from '../shared/keys.ts';

const CACHE_MS = 2_000;

export function createRedisLiteMemory(deps: { redis: Redis; keys: Keys; channelId: string; ttlMs: number; now?: () => number }): LiteEligibilityMemory {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; refusal: LiteRefusal | undefined }>();
  const reading = new Map<string, Promise<LiteRefusal | undefined>>();

  async function fetchRefusal(scope: string): Promise<LiteRefusal | undefined> {
    try {
      const raw = await deps.redis.get(deps.keys.channelLiteRefused(deps.channelId, scope));
      const refusal = raw ? (JSON.parse(raw) as LiteRefusal) : undefined;
      // A `remember` made while the read was out is newer than what it read.
      const current = cache.get(scope);
      if (!current || current.at < now() - CACHE_MS) cache.set(scope, { at: now(), refusal });
      return cache.get(scope)?.refusal;
    } finally {
      reading.delete(scope);
    }
  }

  function read(scope: string): LiteRefusal | undefined | Promise<LiteRefusal | undefined> {
    const hit = cache.get(scope);
    if (hit && now() - hit.at < CACHE_MS) return hit.refusal;
    let pending = reading.get(scope);
    if (!pending) reading.set(scope, (pending = fetchRefusal(scope)));
    return pending;
  }

  return {
    refusal(templateName) {
      // Answered without a promise while both scopes are cached: the common case, once per message.
      const channelWide = read(CHANNEL_SCOPE);
      if (channelWide instanceof Promise) return channelWide.then((refusal) => refusal ?? read(templateName));
      return channelWide ?? read(templateName);
    },
    async remember(template, refusal) {
      const scope = template ?? CHANNEL_SCOPE;
      cache.set(scope, { at: now(), refusal });
      await deps.redis.set(deps.keys.channelLiteRefused(deps.channelId, scope), JSON.stringify(refusal), 'PX', deps.ttlMs);
    },
  };
}
