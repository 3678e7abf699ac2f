/**
 * Remembers that MM Lite refused a channel (not onboarded) or one of its templates, so later
 * messages skip the doomed lite call and go straight to `/messages` until the memory expires and
 * the next message probes MM Lite again.
 */

export type LiteRefusal = { code: string; reason: string };

/** The port the send path uses; an in-process version lives here, a Redis one in the worker. */
export type LiteEligibilityMemory = {
  /** The refusal remembered for this template (or for the whole channel), if still fresh. */
  refusal(templateName: string): LiteRefusal | undefined | Promise<LiteRefusal | undefined>;
  /** Remembers a refusal for the whole channel (`template` undefined) or one template. */
  remember(template: string | undefined, refusal: LiteRefusal): void | Promise<void>;
};

/** Scope key for a refusal: the whole channel, or one template. */
export const CHANNEL_SCOPE = '*';

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
