/**
 * Campaign records in Redis: the spec, the state, the counters, the rejected intake rows, and the
 * per-batch recipient lists. State changes follow campaign-lifecycle.ts and are compare-and-set
 * scripts, so a pause and a completion racing each other cannot both win.
 */
import type { RedisClient as Redis } from './redis.ts';
import { COUNT_KEYS, type Campaign, type CampaignSpec, type Counts } from './campaign.ts';
import { canTransition, isFinal, TRANSITIONS, type CampaignState, type TransitionName } from './campaign-lifecycle.ts';
import { LitecastError } from './errors.ts';
import type { Keys } from './keys.ts';
import { defineScripts } from './redis-scripts.ts';

/** One recipient as stored in a batch: phone, intake line, and the fields for its placeholders. */
export type BatchRecipient = { p: string; l: number; f: Record<string, string> };

/** A row refused at intake, kept for the campaign's report. */
export type RejectedRow = { line: number; code: string; reason: string; raw?: string };

const SCRIPTS = {
  transition: new URL('./transition-campaign-2.lua', import.meta.url),
  storeIntakeBatch: new URL('./store-intake-batch-4.lua', import.meta.url),
};

function parseMeta(raw: Record<string, string>): Campaign | undefined {
  if (!raw.id) return undefined;
  const campaign: Campaign = {
    id: raw.id,
    channelId: raw.channelId ?? '',
    template: JSON.parse(raw.template ?? '{}') as Campaign['template'],
    route: raw.route === 'cloud' || raw.route === 'split' ? raw.route : 'lite',
    startAt: Number(raw.startAt),
    batchSize: Number(raw.batchSize),
    createdAt: Number(raw.createdAt),
    state: (raw.state ?? 'scheduled') as CampaignState,
    batches: Number(raw.batches ?? 0),
  };
  if (raw.activitySharing === 'true' || raw.activitySharing === 'false') campaign.activitySharing = raw.activitySharing === 'true';
  if (raw.productPolicy === 'STRICT' || raw.productPolicy === 'CLOUD_API_FALLBACK') campaign.productPolicy = raw.productPolicy;
  if (raw.ttlSeconds) campaign.ttlSeconds = Number(raw.ttlSeconds);
  if (raw.cloudShare) campaign.cloudShare = Number(raw.cloudShare);
  if (raw.reason) campaign.reason = raw.reason;
  if (raw.intakeDoneAt) campaign.intakeDoneAt = Number(raw.intakeDoneAt);
  if (raw.startedAt) campaign.startedAt = Number(raw.startedAt);
  if (raw.finishedAt) campaign.finishedAt = Number(raw.finishedAt);
  if (raw.sendWindow) campaign.sendWindow = raw.sendWindow;
  if (raw.priority === 'high' || raw.priority === 'low' || raw.priority === 'normal') campaign.priority = raw.priority;
  if (raw.preflightMps) campaign.preflightMps = Number(raw.preflightMps);
  return campaign;
}

export function createCampaignStore(redis: Redis, keys: Keys) {
  const run = defineScripts(redis, SCRIPTS);

  const store = {
    /** Writes a new campaign record in state `scheduled`; fails if the id exists. */
    async create(spec: CampaignSpec): Promise<void> {
      const meta = keys.campaignMeta(spec.id);
      const fields: Record<string, string> = {
        id: spec.id,
        channelId: spec.channelId,
        template: JSON.stringify(spec.template),
        route: spec.route,
        startAt: String(spec.startAt),
        batchSize: String(spec.batchSize),
        createdAt: String(spec.createdAt),
        state: 'scheduled',
        batches: '0',
      };
      if (spec.activitySharing !== undefined) fields.activitySharing = String(spec.activitySharing);
      if (spec.productPolicy !== undefined) fields.productPolicy = spec.productPolicy;
      if (spec.ttlSeconds !== undefined) fields.ttlSeconds = String(spec.ttlSeconds);
      if (spec.cloudShare !== undefined) fields.cloudShare = String(spec.cloudShare);
      if (spec.sendWindow !== undefined) fields.sendWindow = spec.sendWindow;
      if (spec.priority !== undefined) fields.priority = spec.priority;
      if ((await redis.hsetnx(meta, 'id', spec.id)) === 0) {
        throw new LitecastError('LITECAST_ERR_CAMPAIGN_EXISTS', `Campaign "${spec.id}" already exists: choose another id, or look at it with \`litecast campaign status ${spec.id}\`.`);
      }
      await redis
        .multi()
        .hset(meta, fields)
        .hset(keys.campaignCounts(spec.id), Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])))
        .exec();
      await redis.zadd(keys.campaigns, spec.createdAt, spec.id);
    },

    async get(id: string): Promise<Campaign | undefined> {
      return parseMeta(await redis.hgetall(keys.campaignMeta(id)));
    },

    async require(id: string): Promise<Campaign> {
      const campaign = await store.get(id);
      if (!campaign) throw new LitecastError('LITECAST_ERR_UNKNOWN_CAMPAIGN', `Unknown campaign "${id}". List campaigns with \`litecast campaign list\`.`);
      return campaign;
    },

    /** Campaign ids, newest first. */
    async listIds(offset = 0, limit = 50): Promise<{ ids: string[]; total: number }> {
      const [ids, total] = await Promise.all([redis.zrevrange(keys.campaigns, offset, offset + limit - 1), redis.zcard(keys.campaigns)]);
      return { ids, total };
    },

    async counts(id: string): Promise<Counts> {
      const raw = await redis.hgetall(keys.campaignCounts(id));
      return Object.fromEntries(COUNT_KEYS.map((k) => [k, Number(raw[k] ?? 0)])) as Counts;
    },

    /** Errors by code (`"131026"`, `"TIMEOUT"`…) with their counts. */
    async errors(id: string): Promise<Record<string, number>> {
      const raw = await redis.hgetall(keys.campaignErrors(id));
      return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Number(v)]));
    },

    /**
     * Applies a user or worker action. Throws LITECAST_ERR_INVALID_STATE when the campaign is in a
     * state the action cannot start from. Returns the previous state.
     */
    async transition(id: string, action: TransitionName, reason = ''): Promise<CampaignState> {
      const { from, to } = TRANSITIONS[action];
      const stamps = [to === 'running' ? '1' : '', isFinal(to) ? '1' : ''];
      const result = (await run('transition', [keys.campaignMeta(id), keys.campaignControl(id)], [from.join(','), to, reason, String(Date.now()), ...stamps])) as string;
      if (result === 'ERR_MISSING') throw new LitecastError('LITECAST_ERR_UNKNOWN_CAMPAIGN', `Unknown campaign "${id}".`);
      if (result.startsWith('ERR_STATE:')) {
        const state = result.slice('ERR_STATE:'.length);
        throw new LitecastError('LITECAST_ERR_INVALID_STATE', `Cannot ${action} campaign "${id}": it is ${state} (${action} works when it is ${from.join(' or ')}).`, { state });
      }
      return result as CampaignState;
    },

    /** Stores one intake batch (store-intake-batch-4.lua). Returns how many recipients it kept. */
    async storeBatch(id: string, index: number, recipients: BatchRecipient[], rejected: RejectedRow[]): Promise<number> {
      // cjson turns an empty array into '{}'; the script iterates with ipairs, which is fine for both.
      const batchKeys = [keys.campaignRecipients(id), keys.campaignBatch(id, index), keys.campaignCounts(id), keys.campaignRejected(id)];
      return (await run('storeIntakeBatch', batchKeys, [String(index), JSON.stringify(recipients), JSON.stringify(rejected)])) as number;
    },

    /** Rejected rows without a batch (e.g. after the last batch). */
    async storeRejected(id: string, rejected: RejectedRow[]): Promise<void> {
      if (rejected.length > 0) await store.storeBatch(id, -1, [], rejected);
    },

    async loadBatch(id: string, index: number): Promise<BatchRecipient[]> {
      const raw = await redis.get(keys.campaignBatch(id, index));
      if (!raw) return [];
      const parsed = JSON.parse(raw) as BatchRecipient[] | Record<string, never>;
      return Array.isArray(parsed) ? parsed : [];
    },

    async markIntakeDone(id: string, batches: number): Promise<void> {
      await redis.hset(keys.campaignMeta(id), 'batches', String(batches), 'intakeDoneAt', String(Date.now()));
      // An intake that kept nobody (all rejected) is complete at once.
      const counts = await store.counts(id);
      const state = (await store.get(id))?.state;
      if (counts.pending === 0 && state && canTransition('complete', state)) await store.transition(id, 'complete');
    },

    async rejected(id: string): Promise<RejectedRow[]> {
      const raw = await redis.hvals(keys.campaignRejected(id));
      return raw.map((v) => JSON.parse(v) as RejectedRow).sort((a, b) => a.line - b.line);
    },

    async park(id: string, batchIndex: number): Promise<void> {
      await redis.sadd(keys.campaignParked(id), String(batchIndex));
    },

    /** Takes the parked batch indexes (and forgets them), for re-enqueueing. */
    async takeParked(id: string): Promise<number[]> {
      const key = keys.campaignParked(id);
      const [members] = (await redis.multi().smembers(key).del(key).exec()) ?? [];
      return ((members?.[1] as string[] | undefined) ?? []).map(Number).sort((a, b) => a - b);
    },

    /**
     * Deletes every key of a campaign (used when intake fails before anything was enqueued).
     * `batches`: how many batch keys intake wrote, when the meta does not know yet.
     */
    async remove(id: string, batches?: number): Promise<void> {
      const campaign = await store.get(id);
      const batchKeys = Array.from({ length: Math.max(batches ?? 0, campaign?.batches ?? 0) }, (_, i) => keys.campaignBatch(id, i));
      await redis.del(
        keys.campaignMeta(id),
        keys.campaignCounts(id),
        keys.campaignErrors(id),
        keys.campaignLedger(id),
        keys.campaignRecipients(id),
        keys.campaignRejected(id),
        keys.campaignParked(id),
        keys.campaignEvents(id),
        keys.campaignFunnel(id),
        keys.campaignZones(id),
        keys.campaignBatchZones(id),
        keys.campaignPace(id),
        ...batchKeys,
      );
      await redis.zrem(keys.campaigns, id);
    },

    /** Stores a batch of recipients to send again (no duplicate check: they are already in the campaign). */
    async storeRetryBatch(id: string, index: number, recipients: BatchRecipient[]): Promise<void> {
      await redis.multi().set(keys.campaignBatch(id, index), JSON.stringify(recipients)).hset(keys.campaignMeta(id), 'batches', String(index + 1)).exec();
    },

    /** Remembers the time zone of an intake batch (a batch holds recipients of one zone). */
    async setBatchZone(id: string, index: number, zone: string): Promise<void> {
      await redis.hset(keys.campaignBatchZones(id), String(index), zone);
    },

    /** The time zone of a batch's recipients; undefined for a campaign without a send window. */
    async batchZone(id: string, index: number): Promise<string | undefined> {
      return (await redis.hget(keys.campaignBatchZones(id), String(index))) ?? undefined;
    },

    /** Stores the recipients per zone and the channel rate the preflight assumed, for the status's projections. */
    async storeTiming(id: string, zones: ReadonlyMap<string, number>, mps: number): Promise<void> {
      const multi = redis.multi().hset(keys.campaignMeta(id), 'preflightMps', String(mps));
      if (zones.size > 0) multi.hset(keys.campaignZones(id), Object.fromEntries(zones));
      await multi.exec();
    },

    /** Recipients kept at intake per time zone. */
    async zoneCounts(id: string): Promise<Map<string, number>> {
      const raw = await redis.hgetall(keys.campaignZones(id));
      return new Map(Object.entries(raw).map(([zone, n]) => [zone, Number(n)]));
    },

    /** Recipients pending on a channel in campaigns that may still send (the preflight's queue ahead); the newest 1,000 campaigns are looked at. */
    async pendingOnChannel(channelId: string, exceptId: string): Promise<number> {
      const ids = (await redis.zrevrange(keys.campaigns, 0, 999)).filter((id) => id !== exceptId);
      if (ids.length === 0) return 0;
      // One campaign per slot on a cluster: plain commands, not one pipeline across slots.
      const rows = await Promise.all(ids.map((id) => Promise.all([redis.hmget(keys.campaignMeta(id), 'channelId', 'state'), redis.hget(keys.campaignCounts(id), 'pending')])));
      let pending = 0;
      for (const [[channel, state], count] of rows) {
        if (channel === channelId && (state === 'scheduled' || state === 'running')) pending += Number(count ?? 0);
      }
      return pending;
    },

    /** Bumps and returns the resume generation, used in re-enqueued job ids. */
    async nextGeneration(id: string): Promise<number> {
      return redis.hincrby(keys.campaignMeta(id), 'generation', 1);
    },
  };
  return store;
}

export type CampaignStore = ReturnType<typeof createCampaignStore>;
