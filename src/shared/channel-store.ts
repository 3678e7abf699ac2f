/**
 * Channels (sending numbers) in Redis. The API key is sealed by the SecretBox and only leaves this
 * module sealed (`loadSealed`: the worker opens it once per key change to build its 360dialog
 * client) or through `loadWithKey`.
 */
import type { RedisClient as Redis } from './redis.ts';
import { z } from 'zod';
import { assertAllowedBaseUrl, withoutCredentials } from './base-url-policy.ts';
import { LitecastError } from './errors.ts';
import { frequencyCapProblem } from './frequency-cap.ts';
import type { Keys } from './keys.ts';
import type { SecretBox } from './secret-box.ts';

/** Meta's default throughput per number; 1,000 after an upgrade (whatsapp-api.md §5). */
export const DEFAULT_MPS = 80;

export const channelInputSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use 1–64 letters, digits, _ or -'),
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://waba-v2.360dialog.io' }).transform((u) => u.replace(/\/+$/, '')),
  apiKey: z.string().trim().min(1, 'must not be empty'),
  mps: z.number().int('must be a whole number').min(1).max(10_000).default(DEFAULT_MPS),
  /** Meta's phone number id, to match opt-out webhooks that arrive without a channel in the URL. */
  phoneNumberId: z.string().regex(/^\d{5,20}$/, 'must be the digits of Meta\'s phone number id').optional(),
  /** "2/7d": at most 2 marketing messages from litecast to one recipient in 7 days, across campaigns. */
  frequencyCap: frequencyCapSchema().optional(),
});

function frequencyCapSchema() {
  return z.string().superRefine((text, ctx) => {
    const problem = frequencyCapProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** What `update` may change on an existing channel; a null frequencyCap removes the cap. */
export const channelUpdateSchema = z.object({
  mps: z.number().int('must be a whole number').min(1).max(10_000).optional(),
  frequencyCap: z.union([frequencyCapSchema(), z.null()]).optional(),
}).strict();

export type ChannelInput = z.input<typeof channelInputSchema>;

/** A channel as shown to users: never the key. */
export type Channel = { id: string; baseUrl: string; mps: number; createdAt: number; apiKeyEncrypted: boolean; phoneNumberId?: string; frequencyCap?: string };
export type ChannelWithKey = Channel & { apiKey: string };

type StoredChannel = Omit<Channel, 'apiKeyEncrypted'> & { apiKey: string };

/** Turns zod issues into one LitecastError naming each field. */
export function validationError(issues: z.core.$ZodIssue[], what: string): LitecastError {
  const problems = issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
  return new LitecastError('LITECAST_ERR_VALIDATION', `Invalid ${what}: ${problems.join('; ')}`, { problems });
}

/**
 * @param allowedBaseUrls origins a new channel's base URL may use (`LITECAST_ALLOWED_BASE_URLS`);
 *   unset: not checked (the worker only reads channels).
 */
export function createChannelStore(redis: Redis, keys: Keys, box: SecretBox, allowedBaseUrls?: readonly string[]) {
  const toPublic = (stored: StoredChannel): Channel => ({
    id: stored.id,
    baseUrl: withoutCredentials(stored.baseUrl),
    mps: stored.mps,
    createdAt: stored.createdAt,
    apiKeyEncrypted: stored.apiKey.startsWith('enc:'),
    ...(stored.phoneNumberId ? { phoneNumberId: stored.phoneNumberId } : {}),
    ...(stored.frequencyCap ? { frequencyCap: stored.frequencyCap } : {}),
  });
  const read = async (id: string): Promise<StoredChannel> => {
    const raw = await redis.hget(keys.channels, id);
    if (!raw) throw new LitecastError('LITECAST_ERR_UNKNOWN_CHANNEL', `Unknown channel "${id}". List channels with \`litecast channel list\` or add it with \`litecast channel add\`.`);
    return JSON.parse(raw) as StoredChannel;
  };

  return {
    /** Adds a channel; with `replace` an existing one with the same id is overwritten. */
    async add(input: ChannelInput, options: { replace?: boolean } = {}): Promise<Channel> {
      const parsed = channelInputSchema.safeParse(input);
      if (!parsed.success) throw validationError(parsed.error.issues, 'channel');
      if (allowedBaseUrls) assertAllowedBaseUrl(parsed.data.baseUrl, allowedBaseUrls);
      const stored: StoredChannel = {
        id: parsed.data.id,
        baseUrl: parsed.data.baseUrl,
        mps: parsed.data.mps,
        createdAt: Date.now(),
        apiKey: box.seal(parsed.data.apiKey),
        ...(parsed.data.phoneNumberId ? { phoneNumberId: parsed.data.phoneNumberId } : {}),
        ...(parsed.data.frequencyCap ? { frequencyCap: parsed.data.frequencyCap } : {}),
      };
      const json = JSON.stringify(stored);
      if (options.replace) await redis.hset(keys.channels, stored.id, json);
      else if ((await redis.hsetnx(keys.channels, stored.id, json)) === 0) {
        throw new LitecastError('LITECAST_ERR_CHANNEL_EXISTS', `Channel "${stored.id}" already exists; remove it first or add it with --replace.`);
      }
      return toPublic(stored);
    },
    /**
     * Changes the rate or the frequency cap of a channel, keeping its key. Read-modify-write: two
     * concurrent updates of one channel may lose one (an operator's command, not a hot path).
     */
    async update(id: string, changes: z.input<typeof channelUpdateSchema>): Promise<Channel> {
      const parsed = channelUpdateSchema.safeParse(changes);
      if (!parsed.success) throw validationError(parsed.error.issues, 'channel');
      const stored = await read(id);
      if (parsed.data.mps !== undefined) stored.mps = parsed.data.mps;
      if (parsed.data.frequencyCap === null) delete stored.frequencyCap;
      else if (parsed.data.frequencyCap !== undefined) stored.frequencyCap = parsed.data.frequencyCap;
      await redis.hset(keys.channels, id, JSON.stringify(stored));
      return toPublic(stored);
    },
    async get(id: string): Promise<Channel> {
      return toPublic(await read(id));
    },
    /** The channel with its API key in clear text, for the worker's client only. */
    async loadWithKey(id: string): Promise<ChannelWithKey> {
      const stored = await read(id);
      return { ...toPublic(stored), apiKey: box.open(stored.apiKey) };
    },
    /** The channel with its sealed key: the worker opens it only when the sealed value changed. */
    async loadSealed(id: string): Promise<{ channel: Channel; sealedKey: string }> {
      const stored = await read(id);
      return { channel: toPublic(stored), sealedKey: stored.apiKey };
    },
    async list(): Promise<Channel[]> {
      const all = await redis.hvals(keys.channels);
      return all.map((raw) => toPublic(JSON.parse(raw) as StoredChannel)).sort((a, b) => a.id.localeCompare(b.id));
    },
    async remove(id: string): Promise<void> {
      if ((await redis.hdel(keys.channels, id)) === 0) {
        throw new LitecastError('LITECAST_ERR_UNKNOWN_CHANNEL', `Unknown channel "${id}": nothing removed.`);
      }
    },
  };
}

export type ChannelStore = ReturnType<typeof createChannelStore>;
