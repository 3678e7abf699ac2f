/**
 * The aging half of campaign priorities (batch-priority.ts): every sweep, each worker looks at the
 * batches waiting in BullMQ's prioritized set, remembers when it first saw each one there (its
 * "ready since", good to one sweep interval), and raises the priority of those that have waited
 * longer than the aging step. The target is computed from the batch's base priority, so two
 * workers sweeping the same queue agree and never raise a batch twice for one wait.
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { agedPriority } from '../shared/batch-priority.ts';
import type { BatchJobData } from '../shared/send-queue.ts';

export type PriorityAgingDeps = {
  queue: Queue<BatchJobData>;
  logger: Logger;
  agingMs: number;
  /** Time between sweeps. */
  intervalMs: number;
  now?: () => number;
};

/** How many waiting batches one sweep looks at. */
const SWEEP_LIMIT = 2_000;

/** Creates the sweeper; `sweep()` runs one pass (tests call it directly), `start()` runs it on a timer. */
export function createPriorityAging(deps: PriorityAgingDeps) {
  const now = deps.now ?? Date.now;
  const firstSeen = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function sweep(): Promise<number> {
    const at = now();
    const jobs = await deps.queue.getJobs(['prioritized'], 0, SWEEP_LIMIT - 1);
    const seen = new Set<string>();
    let promoted = 0;
    for (const job of jobs) {
      if (!job?.id) continue;
      seen.add(job.id);
      const since = firstSeen.get(job.id) ?? at;
      firstSeen.set(job.id, since);
      const base = job.data.priority ?? job.opts.priority ?? 0;
      const target = agedPriority(base, since, at, deps.agingMs);
      if (base > 0 && target < (job.priority || base)) {
        await job.changePriority({ priority: target }).catch(() => undefined);
        promoted += 1;
      }
    }
    for (const id of firstSeen.keys()) if (!seen.has(id)) firstSeen.delete(id);
    if (promoted > 0) deps.logger.debug({ promoted }, 'aged batches moved up in priority');
    return promoted;
  }

  return {
    sweep,
    start(): void {
      timer ??= setInterval(() => {
        running ??= sweep()
          .catch((error: unknown) => {
            deps.logger.warn({ err: error }, 'priority aging sweep failed');
            return 0;
          })
          .finally(() => (running = undefined));
      }, deps.intervalMs);
      timer.unref();
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

export type PriorityAging = ReturnType<typeof createPriorityAging>;
