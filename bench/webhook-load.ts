/**
 * Section 4's load generator, in its own process (as 360dialog is somewhere else): posts status
 * webhooks in Meta's shape to `litecast api` over keep-alive connections (http-load.ts), as fast as
 * they are acknowledged (or paced), and records each POST's acknowledgement latency and time.
 *
 *   node --import tsx bench/webhook-load.ts <config.json>
 *
 * The config (`WebhookLoadConfig`) names the API, the secret, the campaign and the range of
 * generated recipients; every body is built before the clock starts, so the run measures posting
 * only. For each block of `statusesPerPost` recipients the bodies go out in the order Meta sends
 * them: `sent`, then `delivered`, then `read` (one status kind per body, like Meta's batches). The
 * result (`WebhookLoadResult`) is written as JSON to `config.out`.
 */
import { buildRequest, postAll } from './http-load.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { encodeCallbackData } from '../src/dialog360/callback-data.ts';
import { buildStatus, buildStatusesBody, type StatusName, type WebhookChannel } from '../src/sandbox/webhook-payloads.ts';
import { recipientLine } from './pipeline.ts';

export type WebhookLoadConfig = {
  /** Base URL of the API, e.g. http://127.0.0.1:41234. */
  url: string;
  /** Path of the webhook route, e.g. /webhooks/360dialog/wh. */
  path: string;
  secret: string;
  campaignId: string;
  channel: WebhookChannel;
  /** Generated recipients `from` ≤ i < `to` (the same numbers the campaign was created with). */
  from: number;
  to: number;
  kinds: StatusName[];
  statusesPerPost: number;
  /** Keep-alive connections, one POST in flight on each. */
  connections: number;
  /** When set, POST i starts at i ÷ this rate (per second, over all connections; open loop); else as fast as acknowledged. */
  postsPerSecond?: number;
  out: string;
};

export type WebhookLoadResult = {
  posts: number;
  events: number;
  statusesPerPost: number;
  connections: number;
  /** Epoch ms: first POST written, last acknowledgement received. */
  firstPostAt: number;
  lastAckAt: number;
  /** Acknowledgement latency of each POST in ms (request written → response ended), in POST order. */
  latenciesMs: number[];
  /** Epoch ms of each acknowledgement, in POST order. */
  ackedAt: number[];
  /** Events of each kind per POST, in POST order (one kind per body). */
  kindOfPost: StatusName[];
  /** Answers other than 200 {"ok":true}: status code → count. */
  errors: Record<string, number>;
  bodyBytesMean: number;
  /** This process's CPU while posting (it shares the machine with what it measures). */
  cpuSeconds: number;
};

/** A wamid-like id of realistic length for recipient i (litecast matches on the callback data). */
function wamidFor(i: number, kind: string): string {
  return `wamid.HBgM${Buffer.from(`4470${String(i).padStart(8, '0')}-${kind}-bench-webhook-status`).toString('base64')}`;
}

/** Every body to post, in order: per block of recipients, one body per status kind. */
export function buildBodies(config: WebhookLoadConfig, unixSeconds = Math.floor(Date.now() / 1000)): Array<{ body: Buffer; kind: StatusName; events: number }> {
  const bodies: Array<{ body: Buffer; kind: StatusName; events: number }> = [];
  for (let start = config.from; start < config.to; start += config.statusesPerPost) {
    const end = Math.min(config.to, start + config.statusesPerPost);
    for (const kind of config.kinds) {
      const statuses: unknown[] = [];
      for (let i = start; i < end; i++) {
        const phone = recipientLine(i).split(',')[0] as string;
        statuses.push(
          buildStatus(
            {
              wamid: wamidFor(i, 'msg'),
              to: phone,
              waId: phone,
              channel: config.channel,
              category: 'marketing_lite',
              bizOpaqueCallbackData: encodeCallbackData(config.campaignId, phone),
              conversationId: `conv${String(i).padStart(12, '0')}`,
            },
            kind,
            unixSeconds,
            kind === 'sent' || kind === 'delivered',
          ),
        );
      }
      bodies.push({ body: Buffer.from(JSON.stringify(buildStatusesBody(config.channel, statuses))), kind, events: end - start });
    }
  }
  return bodies;
}

async function run(config: WebhookLoadConfig): Promise<WebhookLoadResult> {
  const bodies = buildBodies(config);
  const target = new URL(config.url);
  const headers = { 'content-type': 'application/json', 'x-litecast-webhook-secret': config.secret };
  const requests = bodies.map((b) => buildRequest(target.host, config.path, headers, b.body));
  const cpuBefore = process.cpuUsage();
  const firstPostAt = Date.now();
  const result = await postAll({
    port: Number(target.port),
    host: target.hostname,
    connections: config.connections,
    requests,
    ...(config.postsPerSecond ? { requestsPerSecond: config.postsPerSecond } : {}),
  });
  const cpu = process.cpuUsage(cpuBefore);
  const errors: Record<string, number> = {};
  for (const answer of result.answers) {
    if (answer.status !== 200 || answer.body !== '{"ok":true}') errors[String(answer.status)] = (errors[String(answer.status)] ?? 0) + 1;
  }
  return {
    posts: bodies.length,
    events: bodies.reduce((sum, b) => sum + b.events, 0),
    statusesPerPost: config.statusesPerPost,
    connections: config.connections,
    firstPostAt,
    lastAckAt: Math.max(...result.ackedAt),
    latenciesMs: result.latenciesMs.map((v) => Math.round(v * 1000) / 1000),
    ackedAt: result.ackedAt,
    kindOfPost: bodies.map((b) => b.kind),
    errors,
    bodyBytesMean: Math.round(bodies.reduce((sum, b) => sum + b.body.length, 0) / bodies.length),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

const configFile = process.argv[2];
if (configFile && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as WebhookLoadConfig;
  const result = await run(config);
  writeFileSync(config.out, JSON.stringify(result));
  console.log(`posted ${result.posts} bodies (${result.events} statuses)`);
}
