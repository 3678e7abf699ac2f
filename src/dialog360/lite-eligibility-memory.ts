/**
 * The in-process memory of MM Lite refusals for one channel (the route decision's
 * `LiteEligibilityMemory`); the one every worker shares through Redis is
 * worker/redis-lite-memory.ts.
 */
import { CHANNEL_SCOPE, type LiteEligibilityMemory, type LiteRefusal } from '../shared/route-decision.ts';

/** In-process memory for one channel, forgetting after `ttlMs`. */
export function createLiteEligibilityMemory(options: { ttlMs: number; now?: () => number }): LiteEligibilityMemory {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { refusal: LiteRefusal; until: number }>();
  const fresh = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.refusal;
  };
  return {
    refusal: (templateName) => fresh(CHANNEL_SCOPE) ?? fresh(templateName),
    remember(template, refusal) {
      entries.set(template ?? CHANNEL_SCOPE, { refusal, until: now() + options.ttlMs });
    },
  };
}
