import { createFaultSet, type FaultRule, type FaultSet } from './fault-rules.ts';
import { createMessageLog, type MessageLog } from './message-log.ts';
import { compileNumberMatcher } from './number-pattern.ts';
import { createPairLimiter, type PairLimiter } from './rate-window.ts';
import type { SandboxChannel, SandboxConfig } from './sandbox-config.ts';
import { createSeededRandom, type Random } from './seeded-random.ts';
import { createStatsRecorder, type StatsRecorder } from './sandbox-stats.ts';
import { buildTemplateIndex, type TemplateIndex } from './validate-message.ts';
import type { WebhookTarget } from './webhook-poster.ts';

/**
 * Everything the request pipeline reads or counts, rebuilt from the configuration. Lookups are
 * precomputed here so a request does map look-ups only.
 */
export interface SandboxState {
  config: SandboxConfig;
  channelsByKey: Map<string, SandboxChannel>;
  channelsById: Map<string, SandboxChannel>;
  templates: TemplateIndex;
  isLiteIneligible: (to: string) => boolean;
  faults: FaultSet;
  pairLimiter: PairLimiter;
  stats: StatsRecorder;
  log: MessageLog;
  /** The seeded generator; replaced on reset so a reset sandbox replays the same decisions. */
  random: Random;
  /** Webhook URLs set per channel through `POST /v1/configs/webhook`, by channel id. */
  webhookOverrides: Map<string, WebhookTarget>;
  /** Resolved webhook target per channel id (cache; `undefined` = no webhook). */
  targets: Map<string, WebhookTarget | undefined>;
}

/** Fresh state for `config`: no messages, zeroed counters, faults from the config. */
export function createSandboxState(config: SandboxConfig): SandboxState {
  const random = createSeededRandom(config.seed);
  const state: SandboxState = {
    config,
    channelsByKey: new Map(),
    channelsById: new Map(),
    templates: new Map(),
    isLiteIneligible: () => false,
    faults: createFaultSet([], random),
    pairLimiter: createPairLimiter(config.pairLimit),
    stats: createStatsRecorder(),
    log: createMessageLog(),
    random,
    webhookOverrides: new Map(),
    targets: new Map(),
  };
  applyConfig(state, config, { faults: true });
  return state;
}

/**
 * Applies a new configuration to live state, keeping messages and counters. Faults are replaced
 * only when asked (a config patch that names `faults`); a changed pair limit or seed starts over.
 */
export function applyConfig(state: SandboxState, config: SandboxConfig, options: { faults: boolean }): void {
  const previous = state.config;
  state.config = config;
  state.channelsByKey = new Map(config.channels.map((channel) => [channel.apiKey, channel]));
  state.channelsById = new Map(config.channels.map((channel) => [channel.phoneNumberId, channel]));
  state.templates = buildTemplateIndex(config.templates);
  state.isLiteIneligible = compileNumberMatcher(config.liteIneligibleRecipients);
  if (config.seed !== previous.seed) {
    state.random = createSeededRandom(config.seed);
  }
  if (options.faults) setFaults(state, config.faults);
  if (config.pairLimit.burst !== previous.pairLimit.burst || config.pairLimit.refillSeconds !== previous.pairLimit.refillSeconds) {
    state.pairLimiter = createPairLimiter(config.pairLimit);
  }
  state.targets.clear();
}

/** Replaces the fault rules (their counts start over). */
export function setFaults(state: SandboxState, rules: readonly FaultRule[]): void {
  state.faults = createFaultSet(rules, (): number => state.random());
}

/** The webhook target of a channel: its own URL if one was set, else the configured default. */
export function resolveWebhookTarget(state: SandboxState, channelId: string): WebhookTarget | undefined {
  if (state.targets.has(channelId)) return state.targets.get(channelId);
  const override = state.webhookOverrides.get(channelId);
  const url = override?.url ?? state.config.webhook.url ?? undefined;
  const target = url === undefined ? undefined : { url, headers: { ...state.config.webhook.headers, ...override?.headers } };
  state.targets.set(channelId, target);
  return target;
}
