/**
 * `litecast worker`. The worker module (BullMQ's Worker, Bottleneck) is imported only when this
 * command runs, so the other commands start without it.
 */
import type { Command } from 'commander';
import { assertRedisReachable } from '../../shared/redis.ts';
import type { CliSession } from '../cli-session.ts';
import { positiveInt } from '../positive-int.ts';

/** Registers `worker` on the program. */
export function registerWorkerCommand(program: Command, session: CliSession): void {
  program
    .command('worker')
    .description('Run a worker process: takes batches from the queue and sends them')
    .option('--concurrency <n>', 'batches worked on at once', positiveInt('--concurrency'))
    .action(async (opts: { concurrency?: number }) => {
      const { config, logger } = session.setup();
      await assertRedisReachable(config.redisUrl);
      const { startWorker } = await import('../../worker/start-worker.ts');
      const worker = startWorker({ config, logger: logger.child({ component: 'worker' }), ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) });
      await worker.ready();
      logger.info({ concurrency: opts.concurrency ?? config.workerConcurrency }, 'worker ready');
      await session.untilStopped(() => worker.close(20_000), 30_000);
    });
}
