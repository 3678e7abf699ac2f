import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { STATUS_CODES } from 'node:http';
import type { FaultEffect } from './fault-rules.ts';
import {
  D360_RATE_LIMIT_OBJECT,
  D360_RATE_LIMIT_PLAIN,
  TEMPLATE_NOT_SYNCED,
  TERMS_NOT_ACCEPTED,
  type ErrorFixture,
} from './fixtures/error-bodies.ts';
import { matchesNumberPattern } from './number-pattern.ts';
import type { SandboxChannel } from './sandbox-config.ts';
import {
  buildErrorBody,
  buildMetaError,
  describeError,
  INVALID_API_TOKEN_BODY,
  type ErrorEnvelope,
  type ErrorSpec,
} from './sandbox-errors.ts';
import { resolveWebhookTarget, type SandboxState } from './sandbox-state.ts';
import { randomHex } from './seeded-random.ts';
import { validateMessage, type Route } from './validate-message.ts';
import { waIdFor } from './wa-id-for.ts';
import type { WebhookEmitter } from './webhook-emitter.ts';
import type { PricingCategory } from './webhook-payloads.ts';
import { drawLatency } from './latency-model.ts';

/** How the HTTP layer should answer a send request. */
export type SendAnswer =
  | { kind: 'reply'; status: number; body: string; contentType: string; headers?: Record<string, string> }
  | { kind: 'defer'; ms: number; then: () => SendAnswer }
  | { kind: 'hang' }
  | { kind: 'reset' };

/** One message POST as the HTTP layer received it. */
export interface SendRequest {
  route: Route;
  /** `D360-API-KEY` with any `Bearer ` prefix removed. */
  apiKey: string | undefined;
  rawBody: string;
  /** Arrival time, monotonic ms (`performance.now()`). */
  arrivedAt: number;
}

/** What the pipeline needs besides the state. */
export interface SendDeps {
  state: () => SandboxState;
  emitter: WebhookEmitter;
  nextWamid: () => string;
}

const json = (status: number, body: unknown, headers?: Record<string, string>): SendAnswer => ({
  kind: 'reply',
  status,
  body: JSON.stringify(body),
  contentType: 'application/json',
  ...(headers === undefined ? {} : { headers }),
});
const text = (status: number, body: string, contentType = 'text/plain'): SendAnswer => ({ kind: 'reply', status, body, contentType });

// 360dialog wraps Meta's errors on its MM Lite endpoint and passes them through on /messages.
const defaultEnvelope = (route: Route): ErrorEnvelope => (route === 'lite' ? 'wrapped' : 'meta');

/**
 * Handles one message POST: faults first, then what 360dialog and Meta check (key, throughput,
 * onboarding, payload, eligibility, recipient errors, pair limit), then acceptance. Counters and
 * webhooks are updated here; the HTTP layer only writes the answer.
 */
export function handleSendRequest(deps: SendDeps, request: SendRequest): SendAnswer {
  const state = deps.state();
  const channel = request.apiKey === undefined ? undefined : state.channelsByKey.get(request.apiKey);
  const inWindow = state.stats.recordRequest(channel?.phoneNumberId, request.arrivedAt);
  let body: unknown;
  let badJson = false;
  try {
    body = JSON.parse(request.rawBody);
  } catch {
    badJson = true;
  }
  const to = typeof body === 'object' && body !== null && typeof (body as { to?: unknown }).to === 'string' ? (body as { to: string }).to : undefined;
  const effect = state.faults.pick({ route: request.route, apiKey: request.apiKey, to });
  const normal = (): SendAnswer => process(deps, request, channel, inWindow, badJson ? undefined : { body });
  if (effect !== undefined) state.stats.recordFault(effect.type);
  const answer = effect === undefined ? normal() : applyFault(deps, request.route, effect, normal);
  // Real answer times (accepted or refused): the decision is made on arrival, the answer comes later.
  const model = state.config.latency;
  if (model === undefined || answer.kind === 'hang' || answer.kind === 'reset') return answer;
  const ms = drawLatency(model, state.random);
  return ms > 0 ? { kind: 'defer', ms, then: () => answer } : answer;
}

function errorAnswer(deps: SendDeps, route: Route, spec: ErrorSpec, options: { envelope?: ErrorEnvelope | undefined; httpStatus?: number | undefined } = {}): SendAnswer {
  const state = deps.state();
  state.stats.recordRejection(spec.code);
  const error = buildMetaError(spec, `A${randomHex(state.random, 22)}`);
  return json(options.httpStatus ?? describeError(spec.code).httpStatus, buildErrorBody(options.envelope ?? defaultEnvelope(route), error));
}

/** Answers with a documented body from fixtures/error-bodies.ts, as it is. */
function fixtureAnswer(deps: SendDeps, code: number, fixture: ErrorFixture): SendAnswer {
  deps.state().stats.recordRejection(code);
  return json(fixture.httpStatus, fixture.body);
}

/** A stable business-scoped user id for a number (BSUID channels). */
function userIdFor(channelId: string, to: string): string {
  return `SB.${BigInt(`0x${createHash('sha256').update(`${channelId}:${to}`).digest('hex').slice(0, 15)}`).toString()}`;
}

function applyFault(deps: SendDeps, route: Route, effect: FaultEffect, normal: () => SendAnswer): SendAnswer {
  const stats = deps.state().stats;
  switch (effect.type) {
    case 'http': {
      stats.recordRejection(`http_${effect.status}`);
      if (effect.body !== undefined) {
        return typeof effect.body === 'string' ? text(effect.status, effect.body) : json(effect.status, effect.body);
      }
      if (effect.status === 500) {
        const error = buildMetaError({ code: 131000, message: 'Internal error', details: 'Internal error' }, `A${randomHex(deps.state().random, 22)}`);
        return json(500, { error });
      }
      return text(effect.status, STATUS_CODES[effect.status] ?? 'Error');
    }
    case 'error':
      return errorAnswer(deps, route, effect, { envelope: effect.envelope, httpStatus: effect.httpStatus });
    case 'd360-rate-limit':
      stats.recordRejection(`http_${effect.httpStatus}`);
      return json(effect.httpStatus, (effect.shape === 'object' ? D360_RATE_LIMIT_OBJECT : D360_RATE_LIMIT_PLAIN).body, {
        'retry-after': String(effect.retryAfterSeconds),
      });
    case 'hang':
      // A gateway that finally gives up: the message never reached Meta.
      return effect.ms === undefined ? { kind: 'hang' } : { kind: 'defer', ms: effect.ms, then: () => text(504, 'Gateway Timeout') };
    case 'hang-after-accept': {
      // The request is processed now (so the message is accepted); only its answer is lost or late.
      const answer = normal();
      return effect.ms === undefined ? { kind: 'hang' } : { kind: 'defer', ms: effect.ms, then: () => answer };
    }
    case 'slow':
      return { kind: 'defer', ms: effect.ms, then: normal };
    case 'reset':
      return { kind: 'reset' };
    case 'invalid-json':
      return text(200, '<html>Bad Gateway</html>', 'text/html');
  }
}

function process(deps: SendDeps, request: SendRequest, channel: SandboxChannel | undefined, inWindow: number, parsed: { body: unknown } | undefined): SendAnswer {
  const state = deps.state();
  const { route } = request;
  if (channel === undefined) {
    state.stats.recordRejection('http_401');
    return json(401, INVALID_API_TOKEN_BODY);
  }
  // Inbound messages count against the same per-number limit (whatsapp-api.md §5): only
  // `mps − inboundMps` accepted messages fit in a sliding second, the excess is refused.
  const overSharedBudget = channel.inboundMps > 0 && state.stats.acceptedInWindow(channel.phoneNumberId, request.arrivedAt) + 1 > channel.mps - channel.inboundMps;
  if (state.config.enforceMps && (inWindow > channel.mps || overSharedBudget)) {
    return errorAnswer(deps, route, { code: 130429, details: `Message throughput of ${channel.mps} messages per second exceeded.` }, { envelope: 'meta' });
  }
  if (parsed === undefined) return errorAnswer(deps, route, { code: 100, details: 'The request body is not valid JSON.' });
  if (route === 'lite' && channel.lite === 'not-onboarded') {
    return fixtureAnswer(deps, 131055, TERMS_NOT_ACCEPTED);
  }
  const valid = validateMessage(route, parsed.body, state.templates);
  if (!valid.ok) {
    return valid.fixture === undefined ? errorAnswer(deps, route, { code: valid.code, details: valid.details }) : fixtureAnswer(deps, valid.code, valid.fixture);
  }
  if (route === 'lite' && state.isLiteIneligible(valid.to)) return fixtureAnswer(deps, 131009, TEMPLATE_NOT_SYNCED);
  const recipientError = state.config.recipientErrors.find(
    (rule) => (rule.endpoint === 'any' || rule.endpoint === route) && matchesNumberPattern(rule.match, valid.to),
  );
  if (recipientError !== undefined && !recipientError.async) {
    return errorAnswer(deps, route, { code: recipientError.code }, { httpStatus: recipientError.httpStatus });
  }
  const now = performance.now();
  if (!state.pairLimiter.tryTake(`${channel.phoneNumberId}\u0000${valid.to}`, now)) {
    return errorAnswer(deps, route, { code: 131056 });
  }

  const wamid = deps.nextWamid();
  // 360dialog's smart routing sends a marketing template given to /messages through MM too.
  // It checks MM first and falls back to the Cloud API when MM would refuse the message.
  const liteWouldAccept = valid.template.category === 'MARKETING' && valid.template.liteRefusal === undefined && !state.isLiteIneligible(valid.to);
  const viaLite = route === 'lite' || (channel.smartRouting && liteWouldAccept);
  const deliveredVia: Route = viaLite && channel.lite === 'onboarded' ? 'lite' : 'cloud';
  const waId = state.config.realisticWaIds ? waIdFor(valid.to) : valid.to;
  const userId = channel.bsuid ? userIdFor(channel.phoneNumberId, valid.to) : undefined;
  const category: PricingCategory = deliveredVia === 'lite' ? 'marketing_lite' : (valid.template.category.toLowerCase() as PricingCategory);
  state.log.add({
    wamid,
    channel: channel.phoneNumberId,
    to: valid.to,
    route,
    deliveredVia,
    template: valid.template.name,
    language: valid.template.language,
    ...(state.config.recordPayloads ? { payload: parsed.body } : {}),
    ...(valid.bizOpaqueCallbackData === undefined ? {} : { bizOpaqueCallbackData: valid.bizOpaqueCallbackData }),
    acceptedAt: Date.now(),
  });
  state.stats.recordAccepted(channel.phoneNumberId, route, now);
  const target = resolveWebhookTarget(state, channel.phoneNumberId);
  if (target !== undefined) {
    const failure = recipientError === undefined ? undefined : describeError(recipientError.code);
    deps.emitter.schedule(
      {
        wamid,
        to: valid.to,
        waId,
        ...(userId === undefined ? {} : { userId }),
        channel,
        target,
        category,
        deliveredVia,
        bizOpaqueCallbackData: valid.bizOpaqueCallbackData,
        ...(failure === undefined || recipientError === undefined
          ? {}
          : { failure: { code: recipientError.code, title: failure.title, details: failure.details } }),
      },
      now,
    );
  }
  // Shape: WEBHOOK_SOURCES.successBody. BSUID sends carry user_id and no wa_id ([M-send]).
  const success: Record<string, unknown> = {
    messaging_product: 'whatsapp',
    contacts: [userId === undefined ? { input: valid.to, wa_id: waId } : { input: valid.to, user_id: userId }],
    messages: [{ id: wamid, message_status: valid.template.messageStatus }],
  };
  // Meta's MM API example response carries `success: true`; the Cloud API's does not.
  if (route === 'lite') success.success = true;
  const answer = json(200, success);
  const latency = state.config.latencyMs;
  return latency > 0 ? { kind: 'defer', ms: latency, then: () => answer } : answer;
}
