/**
 * The MM Lite refusal memory shared by every worker through Redis: once one worker learns that a
 * channel is not onboarded (or a template is not eligible), all of them send that channel's
 * messages straight to `/messages` until the entry expires and the next message probes again.
 * Reads are cached in-process for a few seconds so the send loop pays no Redis call per message.
 */
import type { RedisClient as Redis } from '../shared/redis.ts';
import { CHANNEL_SCOPE, type LiteEligibilityMemory, type LiteRefusal } from '../shared/route-decision.ts';
import type { Keys } from '../shared/keys.ts';

const CACHE_MS = 2_000;

export function createRedisLiteMemory(deps: { redis: Redis; keys: Keys; channelId: string; ttlMs: number; now?: () => number }): LiteEligibilityMemory {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, { at: number; refusal: LiteRefusal | undefined }>();

  async function read(scope: string): Promise<LiteRefusal | undefined> {
    const hit = cache.get(scope);
    if (hit && now() - hit.at < CACHE_MS) return hit.refusal;
    const raw = await deps.redis.get(deps.keys.channelLiteRefused(deps.channelId, scope));
    const refusal = raw ? (JSON.parse(raw) as LiteRefusal) : undefined;
    cache.set(scope, { at: now(), refusal });
    return refusal;
  }

  return {
    async refusal(templateName) {
      return (await read(CHANNEL_SCOPE)) ?? (await read(templateName));
    },
    async remember(template, refusal) {
      const scope = template ?? CHANNEL_SCOPE;
      cache.set(scope, { at: now(), refusal });
      await deps.redis.set(deps.keys.channelLiteRefused(deps.channelId, scope), JSON.stringify(refusal), 'PX', deps.ttlMs);
    },
  };
}
