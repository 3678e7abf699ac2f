/**
 * Live campaign progress for the terminal: progress bars (sent, failed, pending) with rate and
 * ETA on a TTY, a plain line every couple of seconds otherwise (CI logs, pipes).
 */
import cliProgress from 'cli-progress';
import { campaignStatus, type CampaignStatus } from '../shared/campaign-status.ts';
import type { CampaignStore } from '../shared/campaign-store.ts';
import { LitecastError } from '../shared/errors.ts';

export type ProgressOptions = {
  out: (line: string) => void;
  /** Stop when this returns true. */
  until: (status: CampaignStatus) => boolean;
  timeoutMs?: number;
  intervalMs?: number;
  /** Bars on a TTY (default: when stdout is one). */
  tty?: boolean;
};

function line(s: CampaignStatus): string {
  const c = s.counts;
  const eta = s.etaSeconds === null ? '?' : `${s.etaSeconds}s`;
  return `${s.state.padEnd(9)} sent ${c.sent}/${c.total} (lite ${c.sentLite}, cloud ${c.sentCloud}, fallbacks ${c.fallbacks}) failed ${c.failed} pending ${c.pending} · ${s.ratePerSecond}/s · ETA ${eta}`;
}

/** Shows progress until `until` holds; returns the last status. */
export async function watchProgress(campaigns: CampaignStore, id: string, options: ProgressOptions): Promise<CampaignStatus> {
  const tty = options.tty ?? process.stdout.isTTY === true;
  const deadline = Date.now() + (options.timeoutMs ?? Number.POSITIVE_INFINITY);
  let status = await campaignStatus(campaigns, id);
  const total = Math.max(1, status.counts.total);
  const bars = tty ? new cliProgress.MultiBar({ format: ' {name} |{bar}| {value}/{total} {extra}', hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic) : undefined;
  const sent = bars?.create(total, 0, { name: 'sent   ', extra: '' });
  const failed = bars?.create(total, 0, { name: 'failed ', extra: '' });
  const pending = bars?.create(total, total, { name: 'pending', extra: '' });
  let lastLine = 0;
  try {
    for (;;) {
      const c = status.counts;
      if (bars) {
        sent?.update(c.sent, { extra: `${status.ratePerSecond}/s  lite ${c.sentLite} · cloud ${c.sentCloud}` });
        failed?.update(c.failed + c.expired + c.unknown, { extra: Object.entries(status.errors).map(([code, n]) => `${code}×${n}`).join(' ') });
        pending?.update(c.pending, { extra: `ETA ${status.etaSeconds ?? '?'}s  ${status.state}` });
      } else if (Date.now() - lastLine >= 2_000 || options.until(status)) {
        options.out(line(status));
        lastLine = Date.now();
      }
      if (options.until(status)) return status;
      if (Date.now() > deadline) throw new LitecastError('LITECAST_ERR_INTERNAL', `Campaign ${id} did not finish in time: ${line(status)}`);
      await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
      status = await campaignStatus(campaigns, id);
    }
  } finally {
    bars?.stop();
  }
}
