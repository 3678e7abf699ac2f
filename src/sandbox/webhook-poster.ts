import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/** Where one channel's webhooks go. */
export interface WebhookTarget {
  url: string;
  /** Custom headers (360dialog lets a webhook carry e.g. an Authorization header). */
  headers: Readonly<Record<string, string>>;
}

/** Delivery settings, read for each POST so configuration changes apply at once. */
export interface PostSettings {
  signingSecret?: string | undefined;
  maxRetries: number;
  retryBaseMs: number;
  timeoutMs: number;
}

/** Posts webhook bodies with retries and counts the outcome. */
export interface WebhookPoster {
  /** Starts delivering `body` (carrying `eventCount` events) in the background; never throws. */
  post(target: WebhookTarget, body: unknown, eventCount: number, settings: PostSettings): void;
  /** Resolves once every POST started so far has succeeded or given up. */
  idle(): Promise<void>;
  readonly sent: number;
  readonly events: number;
  readonly failures: number;
  /** Events in POSTs that are still being delivered or retried. */
  readonly inFlightEvents: number;
  /** Zeroes sent/events/failures (for reset); deliveries still in flight count afterwards. */
  resetCounters(): void;
  /** Stops retries and closes pooled sockets. */
  close(): void;
}

/**
 * Creates a poster with keep-alive agents: at 10,000 messages per second the sandbox sends
 * hundreds of POSTs a second and must not open a connection for each.
 */
export function createWebhookPoster(): WebhookPoster {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  const inFlight = new Set<Promise<void>>();
  const sleepers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  const urls = new Map<string, URL>();
  let sent = 0;
  let events = 0;
  let failures = 0;
  let inFlightEvents = 0;
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const sleeper = {
        wake: () => {
          clearTimeout(sleeper.timer);
          sleepers.delete(sleeper);
          resolve();
        },
        timer: setTimeout(() => sleeper.wake(), ms),
      };
      sleepers.add(sleeper);
    });

  const attempt = (url: URL, headers: Record<string, string>, payload: string, timeoutMs: number) =>
    new Promise<boolean>((resolve) => {
      const isHttps = url.protocol === 'https:';
      const request = (isHttps ? https : http).request(url, {
        method: 'POST',
        agent: isHttps ? httpsAgent : httpAgent,
        headers,
        timeout: timeoutMs,
      });
      request.on('response', (response) => {
        const ok = response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300;
        response.on('end', () => resolve(ok));
        response.on('error', () => resolve(false));
        response.resume();
      });
      request.on('timeout', () => request.destroy(new Error('webhook timeout')));
      request.on('error', () => resolve(false));
      request.end(payload);
    });

  const deliver = async (target: WebhookTarget, body: unknown, eventCount: number, settings: PostSettings) => {
    let url = urls.get(target.url);
    if (url === undefined) {
      url = new URL(target.url);
      urls.set(target.url, url);
    }
    const payload = JSON.stringify(body);
    const headers: Record<string, string> = {
      ...target.headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
    };
    if (settings.signingSecret !== undefined) {
      headers['x-360dialog-signature'] = createHmac('sha256', settings.signingSecret).update(payload).digest('hex');
    }
    for (let tryNumber = 0; !closed; tryNumber++) {
      if (await attempt(url, headers, payload, settings.timeoutMs)) {
        sent++;
        events += eventCount;
        return;
      }
      if (closed) return;
      if (tryNumber >= settings.maxRetries) {
        failures++;
        return;
      }
      // Exponential backoff like 360dialog's own redelivery, shortened to test time scales.
      await sleep(settings.retryBaseMs * 2 ** tryNumber);
    }
  };

  return {
    post(target, body, eventCount, settings) {
      if (closed) return;
      inFlightEvents += eventCount;
      const delivery = deliver(target, body, eventCount, settings)
        .catch(() => {
          failures++;
        })
        .finally(() => {
          inFlightEvents -= eventCount;
          inFlight.delete(delivery);
        });
      inFlight.add(delivery);
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    get sent() {
      return sent;
    },
    get events() {
      return events;
    },
    get failures() {
      return failures;
    },
    get inFlightEvents() {
      return inFlightEvents;
    },
    resetCounters() {
      sent = 0;
      events = 0;
      failures = 0;
    },
    close() {
      closed = true;
      for (const sleeper of [...sleepers]) sleeper.wake();
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}
