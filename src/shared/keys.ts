/**
 * Every Redis key and queue name litecast uses, in one place. Keys that a Lua script touches
 * together share a `{hash tag}` (one campaign's ledger, counters and meta; one channel's limiter),
 * so the same code runs on Redis Cluster. No ioredis `keyPrefix`: BullMQ and Bottleneck would not
 * see it.
 */

/** Builds the key names for one namespace (`LITECAST_NAMESPACE`). */
export function createKeys(namespace: string) {
  const ns = namespace;
  const campaign = (id: string) => `${ns}:{c:${id}}`;
  const channel = (id: string) => `${ns}:{ch:${id}}`;
  return {
    namespace: ns,
    /** BullMQ prefix: queues become `<ns>:{q}:send:*`, so each queue's keys share one slot. */
    queuePrefix: `${ns}:{q}`,
    sendQueue: 'send',
    /** Hash: channel id → channel record (API key encrypted when a secret key is set). */
    channels: `${ns}:channels`,
    /** Sorted set: campaign id by creation time. */
    campaigns: `${ns}:campaigns`,
    campaignMeta: (id: string) => `${campaign(id)}:meta`,
    campaignCounts: (id: string) => `${campaign(id)}:counts`,
    campaignErrors: (id: string) => `${campaign(id)}:errors`,
    /** Hash: phone → outcome (or an in-flight claim). The at-most-once record. */
    campaignLedger: (id: string) => `${campaign(id)}:ledger`,
    /** Hash: phone → batch index, written at intake; doubles as the duplicate check. */
    campaignRecipients: (id: string) => `${campaign(id)}:recipients`,
    /** String: one batch's recipients as JSON. */
    campaignBatch: (id: string, index: number) => `${campaign(id)}:batch:${index}`,
    /** Hash: intake line number → rejected row JSON. */
    campaignRejected: (id: string) => `${campaign(id)}:rejected`,
    /** Hash: phone → delivery record from webhooks (delivered, read, clicked, late failure). */
    campaignEvents: (id: string) => `${campaign(id)}:events`,
    /** Hash: funnel counters per route group (`lite:delivered`, `cloud:failed:131049`, `lite:lat:<bucket>`…). */
    campaignFunnel: (id: string) => `${campaign(id)}:funnel`,
    /** Hash: time zone → recipients kept at intake (campaigns with a send window). */
    campaignZones: (id: string) => `${campaign(id)}:zones`,
    /** Hash: batch index → the time zone of its recipients (each batch holds one zone). */
    campaignBatchZones: (id: string) => `${campaign(id)}:batch-zones`,
    /** Hash: sends per epoch second (and `mps`, the channel's limit), bounded; see shared/send-series.ts. */
    campaignPace: (id: string) => `${campaign(id)}:pace`,
    /** Set: batch indexes parked by a pause, re-enqueued on resume. */
    campaignParked: (id: string) => `${campaign(id)}:parked`,
    /** String with a TTL: present while an intake is reading this campaign's recipients (a live upload). */
    campaignIntakeLive: (id: string) => `${campaign(id)}:intake`,
    /** Pub/sub channel announcing a campaign's state changes (pause, resume, cancel). */
    campaignControl: (id: string) => `${campaign(id)}:control`,
    /** Set of suppressed (opted-out) phones of a channel. */
    channelSuppressed: (id: string) => `${channel(id)}:suppressed`,
    /** Sorted set: send times (member: campaign id) of one recipient on a channel, for its frequency cap. */
    channelCapLog: (id: string, phone: string) => `${channel(id)}:cap:${phone}`,
    /** Hash: `id:<wa_id or user_id>` → input phone, `al:<phone>` → its other identities (suppression-store.ts). */
    channelIdentities: (id: string) => `${channel(id)}:identities`,
    /** Sorted set: MM Lite link clicks of a channel (click id by click time); Meta's clicks name no recipient. */
    channelClicks: (id: string) => `${channel(id)}:clicks`,
    /** Sorted set: leases of the batches of a channel running now (fairness across channels). */
    channelActiveBatches: (id: string) => `${channel(id)}:active`,
    /** MM Lite refusal memory: `*` for the whole channel, or a template name. */
    channelLiteRefused: (id: string, scope: string) => `${channel(id)}:lite-refused:${scope}`,
    /** Bottleneck limiter id; Bottleneck derives its keys from it, the hash tag keeps them together. */
    channelLimiterId: (id: string) => `${ns}:{lim:${id}}`,
    /** String: epoch ms until which the channel is cooling down after a throttle answer. */
    channelCooldown: (id: string) => `${ns}:{lim:${id}}:cooldown`,
    /** Hash: the channel's adaptive rate (rate, at, lastCutAt; see worker/rate-control.ts). */
    channelRate: (id: string) => `${ns}:{lim:${id}}:rate`,
    /** Hash: webhook counters (unmatched events by reason…); shares a slot with the unmatched list. */
    webhookStats: `${ns}:{wh}:stats`,
    /**
     * Stream: raw webhook bodies as received, read by the `apply` consumer group. Its own hash tag,
     * so on a cluster it is one slot; more streams would be `{whs:<n>}` (see the README).
     */
    webhookStream: `${ns}:{whs}:events`,
    /** Consumer group of the workers that apply webhook bodies. */
    webhookGroup: 'apply',
    /** List: the newest events that matched no campaign. */
    webhookUnmatched: `${ns}:{wh}:unmatched`,
    /** String: an `Idempotency-Key` of `POST /v1/campaigns` (hashed) → the request's fingerprint and first answer. */
    idempotency: (keyHash: string) => `${ns}:idem:${keyHash}`,
    /** Hash: metric snapshots of running processes. */
    metrics: `${ns}:metrics`,
    /** String: wamid → `<campaignId>:<phone>`, for webhooks without callback data. */
    wamid: (wamid: string) => `${ns}:wamid:${wamid}`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
