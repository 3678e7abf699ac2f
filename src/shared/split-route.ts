/**
 * The holdout split: in a `split` campaign, a stable share of recipients goes through the Cloud API
 * and the rest through MM Lite, so the two can be compared on the same template and audience.
 * The choice is a hash of campaign id and phone: the same recipient lands in the same group on
 * every run, retry or resume.
 */
import { createHash } from 'node:crypto';
import type { Route } from '../dialog360/message.ts';
import type { Campaign } from './campaign.ts';

/** True when this recipient belongs to the Cloud API holdout (`cloudShare` in percent, 0–100). */
export function inCloudHoldout(campaignId: string, phone: string, cloudShare: number): boolean {
  const digest = createHash('sha256').update(`${campaignId}:${phone}`).digest();
  // The first 4 bytes as a fraction in [0, 1).
  return digest.readUInt32BE(0) / 2 ** 32 < cloudShare / 100;
}

/** The route a recipient's message starts on. */
export function routeFor(campaign: Pick<Campaign, 'id' | 'route' | 'cloudShare'>, phone: string): Route {
  if (campaign.route !== 'split') return campaign.route;
  return inCloudHoldout(campaign.id, phone, campaign.cloudShare ?? 0) ? 'cloud' : 'lite';
}
