/**
 * The litecast side of a benchmark scenario: an app context on a fresh namespace, channels pointing
 * at the sandbox, campaigns of generated recipients created through the real intake
 * (`createCampaign`), and waiting for them to complete.
 */
import { Readable } from 'node:stream';
import { createAppContext, type AppContext } from '../src/shared/app-context.ts';
import { createCampaign } from '../src/producer/create-campaign.ts';
import { readRecipients } from '../src/producer/read-recipients.ts';
import { loadConfig } from '../src/shared/config.ts';
import { createLogger } from '../src/shared/logger.ts';
import { dropNamespace, newNamespace } from './namespace.ts';
import { BENCH_COMPONENTS, BENCH_TEMPLATE } from './sandbox-process.ts';

/** The i-th generated recipient's CSV line: a unique UK mobile number and the two template values. */
export function recipientLine(i: number): string {
  return `4470${String(i).padStart(8, '0')},Customer ${i},CODE${(i * 7919) % 100_000}`;
}

export const CSV_HEADER = 'phone,name,code';

/** `count` recipients as CSV text, streamed in chunks (never the whole list as one string). */
export function recipientCsvStream(count: number, offset = 0): Readable {
  return Readable.from(
    (function* () {
      yield `${CSV_HEADER}\n`;
      const chunk = 2_000;
      for (let start = 0; start < count; start += chunk) {
        const lines: string[] = [];
        for (let i = start; i < Math.min(count, start + chunk); i++) lines.push(recipientLine(offset + i));
        yield `${lines.join('\n')}\n`;
      }
    })(),
  );
}

export type BenchPipeline = {
  namespace: string;
  redisUrl: string;
  ctx: AppContext;
  addChannel(id: string, baseUrl: string, apiKey: string, mps: number): Promise<void>;
  /** Creates a campaign of `count` generated recipients on a channel; returns its id. */
  createCampaign(channelId: string, count: number, options?: { batchSize?: number }): Promise<string>;
  /** Waits until every campaign is `completed`; throws after `timeoutMs` with their counters. */
  waitForCompletion(ids: readonly string[], timeoutMs: number, intervalMs?: number): Promise<void>;
  /** Closes the context and deletes the namespace's keys. */
  close(): Promise<void>;
};

export async function openPipeline(redisUrl: string, label: string): Promise<BenchPipeline> {
  const namespace = newNamespace(label, redisUrl);
  const config = loadConfig({ REDIS_URL: redisUrl, LITECAST_NAMESPACE: namespace, LOG_LEVEL: 'silent' });
  const ctx = await createAppContext(config, createLogger({ level: 'silent' }));
  return {
    namespace,
    redisUrl,
    ctx,
    async addChannel(id, baseUrl, apiKey, mps) {
      await ctx.channels.add({ id, baseUrl, apiKey, mps });
    },
    async createCampaign(channelId, count, options = {}) {
      const summary = await createCampaign(
        ctx,
        {
          channelId,
          template: { name: BENCH_TEMPLATE.name, language: BENCH_TEMPLATE.language, components: BENCH_COMPONENTS },
          ttlSeconds: 43_200,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        },
        readRecipients(recipientCsvStream(count), 'csv'),
      );
      if (summary.rejected > 0) throw new Error(`intake rejected ${summary.rejected} generated recipients`);
      return summary.id;
    },
    async waitForCompletion(ids, timeoutMs, intervalMs = 250) {
      const deadline = Date.now() + timeoutMs;
      const left = new Set(ids);
      while (left.size > 0) {
        for (const id of [...left]) if ((await ctx.campaigns.get(id))?.state === 'completed') left.delete(id);
        if (left.size === 0) return;
        if (Date.now() > deadline) {
          const counts = await Promise.all([...left].map(async (id) => ({ id, state: (await ctx.campaigns.get(id))?.state, counts: await ctx.campaigns.counts(id) })));
          throw new Error(`campaigns not completed after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    },
    async close() {
      await ctx.close();
      await dropNamespace(redisUrl, namespace);
    },
  };
}
