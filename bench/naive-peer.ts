/**
 * The naive peer of the pacing benchmark (issue 14): what a team would write first with the same
 * tools. One BullMQ job per recipient, BullMQ's global limiter at the configured mps, `fetch` to
 * `/marketing_messages`, a one-second `rateLimit` of the whole queue on 130429, and BullMQ's own
 * attempts (5, exponential from 1 s) for 5xx, 429, the endpoint rate limit and the pair limit;
 * any other refusal fails the job. Its workers run inside the benchmark process, each with its own
 * Redis connections.
 */
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { recipientLine } from './pipeline.ts';
import { BENCH_TEMPLATE } from './sandbox-process.ts';

export type PeerRun = { wallSeconds: number; completed: number; failed: number };

/** Jobs a peer worker runs at once (a common setting; the limiter paces them). */
const PEER_CONCURRENCY = 50;

/** Sends `count` generated recipients through `workers` naive workers; resolves when every job completed or failed for good. */
export async function runNaivePeer(options: { redisUrl: string; sandboxUrl: string; apiKey: string; mps: number; count: number; workers: number; prefix: string }): Promise<PeerRun> {
  const connection = () => new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const queueConnection = connection();
  const name = 'naive-send';
  const queue = new Queue(name, { connection: queueConnection, prefix: options.prefix });
  let completed = 0;
  let failed = 0;
  const connections: Redis[] = [queueConnection];
  const workers: Worker[] = [];
  const done = new Promise<void>((resolve) => {
    const check = () => {
      if (completed + failed >= options.count) resolve();
    };
    for (let w = 0; w < options.workers; w++) {
      const conn = connection();
      connections.push(conn);
      const worker: Worker = new Worker(
        name,
        async (job) => {
          const [to, first, code] = recipientLine(job.data.i as number).split(',');
          const response = await fetch(`${options.sandboxUrl}/marketing_messages`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'D360-API-KEY': options.apiKey },
            body: JSON.stringify({
              recipient_type: 'individual',
              messaging_product: 'whatsapp',
              to,
              type: 'template',
              template: {
                name: BENCH_TEMPLATE.name,
                language: { code: BENCH_TEMPLATE.language, policy: 'deterministic' },
                components: [{ type: 'body', parameters: [{ type: 'text', text: first }, { type: 'text', text: code }] }],
              },
            }),
          });
          if (response.ok) return;
          const text = await response.text();
          let errorCode: number | undefined;
          try {
            const body = JSON.parse(text) as { error?: { code?: number } | string; detail?: { error?: { code?: number } } };
            errorCode = typeof body.error === 'object' ? body.error.code : body.detail?.error?.code;
          } catch {
            // not JSON: an HTTP error page
          }
          if (errorCode === 130429) {
            await worker.rateLimit(1_000);
            throw Worker.RateLimitError();
          }
          if (response.status >= 500 || response.status === 429 || errorCode === 131056 || text.includes('endpoint rate limit')) throw new Error(`retry: ${response.status} ${errorCode ?? ''}`);
          throw new UnrecoverableError(`failed: ${response.status} ${errorCode ?? ''}`);
        },
        { connection: conn, prefix: options.prefix, concurrency: PEER_CONCURRENCY, limiter: { max: options.mps, duration: 1_000 } },
      );
      worker.on('completed', () => {
        completed += 1;
        check();
      });
      worker.on('failed', (job, error) => {
        if (error instanceof UnrecoverableError || (job && job.attemptsMade >= (job.opts.attempts ?? 1))) {
          failed += 1;
          check();
        }
      });
      workers.push(worker);
    }
  });
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  const started = Date.now();
  for (let start = 0; start < options.count; start += 1_000) {
    const jobs = [];
    for (let i = start; i < Math.min(options.count, start + 1_000); i++) {
      jobs.push({ name: 'send', data: { i }, opts: { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: true } });
    }
    await queue.addBulk(jobs);
  }
  await done;
  const wallSeconds = (Date.now() - started) / 1000;
  await Promise.all(workers.map((w) => w.close()));
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  for (const c of connections) c.disconnect();
  return { wallSeconds, completed, failed };
}
