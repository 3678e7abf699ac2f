import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { handleControlRequest, type ControlAnswer, type SandboxControl, type WebhookSettingsPort } from './control-routes.ts';
import { parseFaultRules } from './fault-rules.ts';
import { mergeSandboxConfig, parseSandboxConfig, type SandboxChannel, type SandboxConfig } from './sandbox-config.ts';
import { applyConfig, createSandboxState, resolveWebhookTarget, setFaults, type SandboxState } from './sandbox-state.ts';
import { randomHex } from './seeded-random.ts';
import { handleSendRequest, type SendAnswer, type SendDeps } from './handle-send-request.ts';
import type { Route } from './validate-message.ts';
import { createWebhookEmitter } from './webhook-emitter.ts';
import { listTemplates, templateIdFor } from './list-templates.ts';
import { buildButtonReplyBody, buildInboundBody, buildTemplateStatusBody, buildUserPreferenceBody } from './webhook-payloads.ts';

/** A running sandbox: a local stand-in for 360dialog's API. */
export interface Sandbox extends SandboxControl {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly port: number;
  /** The configuration in effect (changes with `configure` and `reset`). */
  readonly config: SandboxConfig;
  /** Stops timers, drops pending webhooks, closes the server and every open socket. */
  close(): Promise<void>;
}

/** Options of {@link createSandbox}. */
export interface CreateSandboxOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Raw configuration, validated with `parseSandboxConfig`. */
  config?: unknown;
}

const SEND_ROUTES: ReadonlyMap<string, Route> = new Map([
  ['/marketing_messages', 'lite'],
  ['/marketing/marketing_messages', 'lite'],
  ['/messages', 'cloud'],
  ['/v1/messages', 'cloud'],
]);
// Generous for a template message; protects the sandbox from a runaway client.
const MAX_BODY_BYTES = 1_000_000;
// Above the 60 s idle timeout of common HTTP clients, so the client always closes a pooled socket first.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

/** Reads the API key header; 360dialog documents a raw key but its header table shows `Bearer`. */
function readApiKey(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value === '') return undefined;
  return value.startsWith('Bearer ') ? value.slice(7).trim() : value;
}

/** Starts a sandbox server. Nothing runs until this is called; `close()` undoes everything. */
export async function createSandbox(options: CreateSandboxOptions = {}): Promise<Sandbox> {
  const startConfig = parseSandboxConfig(options.config ?? {});
  let state: SandboxState = createSandboxState(startConfig);
  const emitter = createWebhookEmitter({ settings: () => state.config.webhook, random: () => state.random() });
  // A per-process nonce keeps wamids unique across sandboxes that share a seed.
  const nonce = randomBytes(3).toString('hex');
  let wamidCounter = 0;
  const nextWamid = () =>
    `wamid.${Buffer.from(`HBgL${nonce}${(++wamidCounter).toString(36).padStart(7, '0')}${randomHex(state.random, 8)}`).toString('base64')}`;
  const sendDeps: SendDeps = { state: () => state, emitter, nextWamid };
  const deferred = new Set<NodeJS.Timeout>();

  const findChannel = (ref: string | undefined): SandboxChannel => {
    const channel = ref === undefined ? state.config.channels[0] : (state.channelsByKey.get(ref) ?? state.channelsById.get(ref));
    if (channel === undefined) throw new Error(`Unknown channel "${ref}"`);
    return channel;
  };
  const targetFor = (channel: SandboxChannel) => {
    const target = resolveWebhookTarget(state, channel.phoneNumberId);
    if (target === undefined) throw new Error(`No webhook URL configured for channel ${channel.phoneNumberId}`);
    return target;
  };

  const control: SandboxControl = {
    messages: (since) => state.log.list(since),
    stats: () =>
      state.stats.snapshot({
        duplicates: state.log.duplicates,
        webhooksSent: emitter.sent,
        webhookEventsSent: emitter.events,
        webhookFailures: emitter.failures,
        webhooksPending: emitter.pending,
      }),
    setFaults: (rules) => setFaults(state, parseFaultRules(rules)),
    configure: (partial) => {
      const next = mergeSandboxConfig(state.config, partial);
      applyConfig(state, next, { faults: Object.hasOwn(partial, 'faults') });
      return next;
    },
    reset: () => {
      emitter.clear();
      state = createSandboxState(startConfig);
    },
    emitInbound: (input) => {
      const channel = findChannel(input.channel);
      const id = nextWamid();
      const unixSeconds = Math.floor(Date.now() / 1000);
      emitter.sendNow(targetFor(channel), buildInboundBody(channel, { id, from: input.from, name: input.name ?? 'Sandbox User', text: input.text, unixSeconds }));
      return { id };
    },
    emitUserPreference: (input) => {
      const channel = findChannel(input.channel);
      const unixSeconds = Math.floor(Date.now() / 1000);
      const from = { ...(input.from === undefined ? {} : { waId: input.from }), ...(input.userId === undefined ? {} : { userId: input.userId }) };
      emitter.sendNow(targetFor(channel), buildUserPreferenceBody(channel, { from, value: input.value, unixSeconds }));
    },
    emitButtonReply: (input) => {
      const channel = findChannel(input.channel);
      const id = nextWamid();
      const text = input.text ?? 'Stop promotions';
      const from = { ...(input.from === undefined ? {} : { waId: input.from }), ...(input.userId === undefined ? {} : { userId: input.userId }) };
      const tap = { id, from, text, payload: input.payload ?? text, unixSeconds: Math.floor(Date.now() / 1000) };
      emitter.sendNow(targetFor(channel), buildButtonReplyBody(channel, input.contextWamid === undefined ? tap : { ...tap, contextWamid: input.contextWamid }));
      return { id };
    },
    emitTemplateStatus: (input) => {
      const channel = findChannel(input.channel);
      const language = input.language ?? 'en';
      const template = state.config.templates.find((t) => t.name === input.name && t.language === language);
      if (template === undefined) throw new Error(`Unknown template "${input.name}" (${language})`);
      // Later sends see the new status (132015/132016), as they would at Meta.
      const templates = state.config.templates.map((t) => (t === template ? { ...t, status: input.event } : t));
      applyConfig(state, { ...state.config, templates }, { faults: false });
      const reason = input.reason ?? (input.event === 'APPROVED' ? 'NONE' : 'LOW_QUALITY');
      const change = { event: input.event, templateId: templateIdFor(template), name: template.name, language, category: template.category, reason };
      emitter.sendNow(targetFor(channel), buildTemplateStatusBody(channel, { ...change, unixSeconds: Math.floor(Date.now() / 1000) }));
    },
    flushWebhooks: () => emitter.flush(),
  };
  const webhookPort: WebhookSettingsPort = {
    channelIdForKey: (apiKey) => (apiKey === undefined ? undefined : state.channelsByKey.get(apiKey)?.phoneNumberId),
    setWebhook: (channelId, url, headers) => {
      state.webhookOverrides.set(channelId, { url, headers });
      state.targets.delete(channelId);
    },
    getWebhook: (channelId) => resolveWebhookTarget(state, channelId),
    listTemplates: () => listTemplates(state.config.templates),
  };

  const writeAnswer = (request: http.IncomingMessage, response: http.ServerResponse, answer: SendAnswer): void => {
    switch (answer.kind) {
      case 'reply':
        if (response.destroyed) return;
        response.writeHead(answer.status, {
          'content-type': answer.contentType,
          'content-length': Buffer.byteLength(answer.body),
          ...answer.headers,
        });
        response.end(answer.body);
        return;
      case 'defer': {
        const timer = setTimeout(() => {
          deferred.delete(timer);
          writeAnswer(request, response, answer.then());
        }, answer.ms);
        deferred.add(timer);
        return;
      }
      case 'hang':
        return; // The socket stays open until the client gives up or the sandbox closes.
      case 'reset':
        request.socket.destroy();
        return;
    }
  };

  const writeJson = (response: http.ServerResponse, answer: ControlAnswer) => {
    const body = JSON.stringify(answer.body);
    response.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  };

  const server = http.createServer((request, response) => {
    const arrivedAt = performance.now();
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) return writeJson(response, { status: 413, body: { error: 'Request body too large' } });
      const rawBody = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      const apiKey = readApiKey(request.headers['d360-api-key']);
      const route = request.method === 'POST' ? SEND_ROUTES.get(path) : undefined;
      if (route !== undefined) {
        writeAnswer(request, response, handleSendRequest(sendDeps, { route, apiKey, rawBody, arrivedAt }));
        return;
      }
      const query = new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
      handleControlRequest(control, webhookPort, { method: request.method ?? 'GET', path, query, apiKey, rawBody })
        .then((answer) => writeJson(response, answer ?? { status: 404, body: { error: `No route for ${request.method} ${path}` } }))
        .catch((error: unknown) => writeJson(response, { status: 500, body: { error: String(error) } }));
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    ...control,
    url: `http://${urlHost}:${port}`,
    port,
    get config() {
      return state.config;
    },
    async close() {
      emitter.close();
      for (const timer of deferred) clearTimeout(timer);
      deferred.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
