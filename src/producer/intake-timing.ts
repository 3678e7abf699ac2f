/**
 * The timing decisions of an intake, apart from its effects: when each zone's batches may first
 * run (the window's first opening at or after the start), which zones' windows never open before
 * the deadline (refused), and the deadline preflight's warning.
 */
import { campaignDeadline, type CampaignSpec } from '../shared/campaign.ts';
import { estimateDeadline, type ZoneGroup } from '../shared/deadline-estimate.ts';
import { LitecastError } from '../shared/errors.ts';
import { nextWindowOpening, parseSendWindow } from '../shared/send-window.ts';

/** A warning in a create answer: the campaign is created, but something needs a look. */
export type IntakeWarning = {
  code: 'DEADLINE_AT_RISK';
  /** Recipients the estimate says would still be pending at the deadline, and so expire. */
  recipients: number;
  deadline: string;
  /** The channel rate the estimate assumed (msg/s) and the recipients of other campaigns queued ahead on it. */
  mps: number;
  queuedAhead: number;
  message: string;
};

/**
 * When each zone's batches may first run: the start, or the zone's first window opening after it.
 * Throws LITECAST_ERR_VALIDATION naming `sendWindow` when some zone's window never opens before
 * the deadline (its recipients could only expire).
 */
export function firstRunTimes(spec: Pick<CampaignSpec, 'sendWindow' | 'startAt' | 'ttlSeconds'>, zones: ReadonlyMap<string, number>): Map<string, number> {
  const times = new Map<string, number>();
  if (!spec.sendWindow) return times;
  const window = parseSendWindow(spec.sendWindow);
  const deadline = campaignDeadline(spec);
  const never: string[] = [];
  for (const [zone, recipients] of zones) {
    if (recipients === 0) continue;
    const opening = nextWindowOpening(window, zone, spec.startAt);
    if (opening >= deadline) never.push(`${zone} (${recipients} recipient${recipients === 1 ? '' : 's'})`);
    times.set(zone, opening);
  }
  if (never.length > 0) {
    const shown = never.slice(0, 5).join(', ') + (never.length > 5 ? ` and ${never.length - 5} more zones` : '');
    throw new LitecastError(
      'LITECAST_ERR_VALIDATION',
      `Invalid campaign: sendWindow: ${spec.sendWindow} never opens before the deadline (${new Date(deadline).toISOString()}, start + TTL) in ${shown}; widen the window, start earlier or give a longer ttlSeconds.`,
      { problems: [`sendWindow: never opens before the deadline in ${shown}`] },
    );
  }
  return times;
}

/** The preflight: a DEADLINE_AT_RISK warning when the estimate says recipients would expire, else undefined. */
export function deadlineWarning(
  spec: Pick<CampaignSpec, 'sendWindow' | 'startAt' | 'ttlSeconds'>,
  groups: readonly ZoneGroup[],
  channel: { mps: number; queuedAhead: number },
): IntakeWarning | undefined {
  const deadline = campaignDeadline(spec);
  const estimate = estimateDeadline({
    from: spec.startAt,
    deadline,
    mps: channel.mps,
    queuedAhead: channel.queuedAhead,
    groups,
    ...(spec.sendWindow ? { window: parseSendWindow(spec.sendWindow) } : {}),
  });
  if (estimate.expiring === 0) return undefined;
  const iso = new Date(deadline).toISOString();
  const ahead = channel.queuedAhead > 0 ? ` behind ${channel.queuedAhead} recipients of other campaigns on the channel` : '';
  const windowed = spec.sendWindow ? ` inside the send window ${spec.sendWindow}` : '';
  return {
    code: 'DEADLINE_AT_RISK',
    recipients: estimate.expiring,
    deadline: iso,
    mps: channel.mps,
    queuedAhead: channel.queuedAhead,
    message: `About ${estimate.expiring} recipients would expire: at ${channel.mps} msg/s${ahead}${windowed}, not everyone can be sent before the deadline ${iso}. Give a longer TTL, a wider window, or a faster channel.`,
  };
}
