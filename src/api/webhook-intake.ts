/**
 * 360dialog webhooks: checked (shared secret header, optional HMAC signature of the raw body),
 * appended to the webhook stream (200 only once Redis has it, 503 when it cannot take it); the
 * workers' consumer group applies them.
 *
 * `receive` is the one place that decides a webhook's answer. It is reached two ways: straight
 * from the HTTP server (`handle`, for every plain POST to a webhook path), which is how 360dialog's
 * one-status POSTs arrive, thousands a second, and where fastify's request cycle would cost about
 * a third of each POST's CPU; and through the fastify routes (webhook-routes.ts), which document
 * the endpoint and serve `inject()` and any request `handle` leaves to fastify (an unusual URL).
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, LitecastError, isLitecastError } from '../shared/errors.ts';
import { WEBHOOK_SECRET_HEADER } from '../shared/webhook-secret-header.ts';
import { parseWebhook } from '../webhooks/parse-webhook.ts';
import { webhookMetricLabel } from '../webhooks/webhook-metric-label.ts';
import type { ApiDeps } from './api-deps.ts';
import { errorBody, isRedisDownError, redisDownError } from './api-errors.ts';
import { secretChecker, secretsEqual } from './secret-compare.ts';

/** Largest webhook body taken (Meta's batches are far smaller). */
export const WEBHOOK_BODY_LIMIT = 5 * 1024 * 1024;

/** How long a channel found to exist is trusted without reading it again. */
const KNOWN_CHANNEL_MS = 5_000;

/** The two webhook paths: `/webhooks/360dialog` and `/webhooks/360dialog/<channel id>`. */
const WEBHOOK_PATH = /^\/webhooks\/360dialog(?:\/([A-Za-z0-9_-]{1,64}))?$/;

/** What to answer: a status and a JSON body. */
export type WebhookAnswer = { status: number; body: string };

const OK: WebhookAnswer = { status: 200, body: JSON.stringify({ ok: true }) };

/** Hex HMAC-SHA256 of the raw body, as 360dialog sends it in `x-360dialog-signature`. */
export function webhookSignature(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('hex');
}

function answerFor(error: LitecastError): WebhookAnswer {
  return { status: ERROR_CATALOGUE[error.code].httpStatus, body: JSON.stringify(errorBody(error.code, error.message, error.details)) };
}

export function createWebhookIntake(deps: ApiDeps) {
  const { config } = deps.ctx;
  const secretMatches = config.webhookSecret ? secretChecker(config.webhookSecret) : undefined;
  // Channels seen to exist in the last few seconds: a webhook then costs one Redis write (the XADD),
  // not a read before it. Only hits are remembered, so a mistyped channel is refused every time.
  const knownChannels = new Map<string, number>();
  const channelExists = async (channelId: string) => {
    if ((knownChannels.get(channelId) ?? 0) > Date.now()) return;
    await deps.ctx.channels.get(channelId);
    if (knownChannels.size > 10_000) knownChannels.clear();
    knownChannels.set(channelId, Date.now() + KNOWN_CHANNEL_MS);
  };

  /** Checks and stores one webhook body; never throws: every outcome is an answer. */
  async function receive(request: { headers: IncomingHttpHeaders; channelId?: string; body: Buffer }): Promise<WebhookAnswer> {
    const started = process.hrtime.bigint();
    try {
      const { headers } = request;
      const type = (String(headers['content-type'] ?? '').split(';')[0] ?? '').trim().toLowerCase();
      if (type !== 'application/json') {
        throw new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `A webhook body must be sent as application/json, not "${type.slice(0, 60) || 'no content type'}"; 360dialog sends JSON, so check what posts to this URL.`);
      }
      if (!secretMatches) {
        throw new LitecastError('LITECAST_ERR_NOT_READY', 'LITECAST_WEBHOOK_SECRET is not set, so webhooks cannot be authenticated; set it and configure it as a custom header on the 360dialog webhook.');
      }
      const given = headers[WEBHOOK_SECRET_HEADER];
      if (typeof given !== 'string' || !secretMatches(given)) {
        throw new LitecastError('LITECAST_ERR_WEBHOOK_REJECTED', `Missing or wrong ${WEBHOOK_SECRET_HEADER} header.`);
      }
      if (config.webhookSigningSecret) {
        const signature = headers['x-360dialog-signature'];
        // Hex is case-insensitive: an upper-case signature is the same signature.
        if (typeof signature !== 'string' || !secretsEqual(signature.trim().replace(/^sha256=/i, '').toLowerCase(), webhookSignature(request.body, config.webhookSigningSecret))) {
          throw new LitecastError('LITECAST_ERR_WEBHOOK_REJECTED', 'The x-360dialog-signature does not match the body.');
        }
      }
      const text = request.body.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new LitecastError('LITECAST_ERR_VALIDATION', `The webhook body is not valid JSON: ${(error as Error).message}`);
      }
      try {
        // A mistyped channel in the URL must not file an opt-out under a key nothing reads.
        if (request.channelId !== undefined) await channelExists(request.channelId);
        await deps.events.add({ body: text, receivedAt: Date.now(), ...(request.channelId !== undefined ? { channelId: request.channelId } : {}) });
      } catch (error) {
        // Not stored: a 503 makes 360dialog retry the webhook later instead of dropping it.
        if (isRedisDownError(error)) throw new LitecastError('LITECAST_ERR_REDIS_UNREACHABLE', 'The webhook could not be stored (Redis is not reachable); send it again later.', undefined, { cause: error });
        throw error;
      }
      for (const event of parseWebhook(body)) deps.metrics.webhookEvents.inc({ type: webhookMetricLabel(event), stage: 'received' });
      deps.metrics.webhookAck.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return OK;
    } catch (error) {
      if (isLitecastError(error)) return answerFor(error);
      if (isRedisDownError(error)) return answerFor(redisDownError(error));
      deps.ctx.logger.error({ err: error }, 'webhook error');
      return answerFor(new LitecastError('LITECAST_ERR_INTERNAL', 'Internal error; see the API log.'));
    }
  }

  /**
   * Takes a plain POST to a webhook path straight from the HTTP server; returns false for anything
   * else (another route, another method, an id that is not a channel id), which fastify handles.
   */
  function handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const match = WEBHOOK_PATH.exec(query < 0 ? url : url.slice(0, query));
    if (!match) return false;
    const channelId = match[1];
    const send = (answer: WebhookAnswer, close = false) => {
      if (res.headersSent) return;
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(answer.body), ...(close ? { connection: 'close' } : {}) });
      res.end(answer.body);
    };
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      send(answerFor(new LitecastError('LITECAST_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding "${encoding.slice(0, 20)}" is not accepted; send the body uncompressed, without a Content-Encoding header.`)), true);
      req.resume();
      return true;
    }
    const tooLarge = () => answerFor(new LitecastError('LITECAST_ERR_PAYLOAD_TOO_LARGE', `A webhook body is at most ${WEBHOOK_BODY_LIMIT} bytes; 360dialog's are far smaller, so check what posts to this URL.`));
    if (Number(req.headers['content-length'] ?? 0) > WEBHOOK_BODY_LIMIT) {
      send(tooLarge(), true);
      req.resume();
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= WEBHOOK_BODY_LIMIT) chunks.push(chunk);
      else if (!res.headersSent) send(tooLarge(), true);
    });
    req.on('end', () => {
      if (size > WEBHOOK_BODY_LIMIT) return;
      void receive({ headers: req.headers, ...(channelId !== undefined ? { channelId } : {}), body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks) }).then((answer) => send(answer));
    });
    // A client that goes away mid-body: nothing was stored, nothing to answer.
    req.on('error', () => undefined);
    return true;
  }

  return { receive, handle };
}

export type WebhookIntake = ReturnType<typeof createWebhookIntake>;
