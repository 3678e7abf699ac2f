/**
 * A channel's marketing opt-outs, keyed on every identity Meta uses for a recipient. The phone a
 * campaign sends to (the input) is not always the `wa_id` Meta answers with (Brazil's 9th digit,
 * Mexico's `521`), and a webhook may name a business-scoped `user_id` and no phone at all. Each
 * accepted send teaches the channel's identity map `wa_id`/`user_id` → input phone, so an opt-out
 * signal about any of them suppresses the phone later campaigns send to; `resume` lifts every one.
 *
 * Keys (all in the channel's hash slot): the suppressed set (phones and identities) and the
 * identity hash (`id:<identity>` → phone, `al:<phone>` → the phone's other identities).
 */
import type { Keys } from './keys.ts';
import type { RedisClient as Redis } from './redis.ts';

/** Who Meta said a message went to: the number sent, its wa_id, its business-scoped user id. */
export type RecipientIdentities = { waId?: string; userId?: string };

/** Drops a leading `+` so `+55…` and `55…` are one identity. */
const canonical = (identity: string) => identity.replace(/^\+/, '');

/** Creates the suppression store of a namespace. */
export function createSuppressionStore(redis: Redis, keys: Keys) {
  const aliasesOf = async (channelId: string, phone: string): Promise<string[]> => {
    const raw = await redis.hget(keys.channelIdentities(channelId), `al:${phone}`);
    return raw ? raw.split(' ').filter((a) => a !== '') : [];
  };

  return {
    /**
     * Records the identities an accepted send revealed for `phone`. When one of them had already
     * opted out (a signal that arrived before the link was known), the phone is suppressed too.
     */
    async learn(channelId: string, phone: string, identities: RecipientIdentities): Promise<void> {
      const others = [identities.waId, identities.userId].filter((v): v is string => v !== undefined && v !== '').map(canonical).filter((v) => v !== phone);
      if (others.length === 0) return;
      const known = await aliasesOf(channelId, phone);
      const fresh = others.filter((o) => !known.includes(o));
      if (fresh.length > 0) {
        const multi = redis.multi().hset(keys.channelIdentities(channelId), `al:${phone}`, [...known, ...fresh].join(' '));
        for (const identity of fresh) multi.hset(keys.channelIdentities(channelId), `id:${identity}`, phone);
        await multi.exec();
      }
      const flags = await redis.smismember(keys.channelSuppressed(channelId), ...others);
      if (flags.some((f) => f === 1)) await redis.sadd(keys.channelSuppressed(channelId), phone);
    },

    /** The phone a signal's identity stands for (the identity itself when nothing was learned). */
    async resolve(channelId: string, identity: string): Promise<string> {
      const id = canonical(identity);
      return (await redis.hget(keys.channelIdentities(channelId), `id:${id}`)) ?? id;
    },

    /**
     * Suppresses (`stop`) or lifts (`resume`) a recipient named by any identity: the identity, the
     * phone it was learned for, and that phone's other identities move together.
     */
    async set(channelId: string, identity: string, stop: boolean): Promise<void> {
      const id = canonical(identity);
      const phone = await this.resolve(channelId, id);
      const members = [...new Set([id, phone, ...(await aliasesOf(channelId, phone))])];
      if (stop) await redis.sadd(keys.channelSuppressed(channelId), ...members);
      else await redis.srem(keys.channelSuppressed(channelId), ...members);
    },

    /** Which of these phones opted out of the channel's marketing. */
    async suppressed(channelId: string, phones: string[]): Promise<boolean[]> {
      if (phones.length === 0) return [];
      const flags = await redis.smismember(keys.channelSuppressed(channelId), ...phones);
      return flags.map((flag) => flag === 1);
    },
  };
}

export type SuppressionStore = ReturnType<typeof createSuppressionStore>;
