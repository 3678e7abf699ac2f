/**
 * The 360dialog HTTP client: one per channel, no global state. Keep-alive `node:http(s)` agents
 * (measured several times faster than `fetch` on this kind of machine), a per-request timeout, and
 * every outcome returned as a value, never thrown. A timeout or a reset after the request was
 * written (the request's `finish`) is ambiguous: 360dialog may have accepted it.
 */
import http from 'node:http';
import https from 'node:https';
import type { Route } from '../shared/outbound-message.ts';
import type { MessagePayload } from './message-payload.ts';
import { parseResponse, type SendResponse } from './parse-response.ts';

export type DialogClientOptions = {
  /** `https://waba-v2.360dialog.io` or a sandbox URL, without a trailing slash. */
  baseUrl: string;
  apiKey: string;
  /** Give up on an answer after this many milliseconds. */
  timeoutMs: number;
  /** Most sockets open at once to this channel's base URL. Default 64. */
  maxSockets?: number;
};

export type DialogClient = {
  /** POSTs a message to the route's endpoint and returns what happened. */
  send(route: Route, payload: MessagePayload): Promise<SendResponse>;
  /** POSTs any JSON to a path (e.g. `/v1/configs/webhook`); throws only when no answer came. */
  postJson(path: string, body: unknown): Promise<{ status: number; body: string }>;
  /** GETs a path (e.g. `/v1/configs/templates`); throws only when no answer came. */
  getJson(path: string): Promise<{ status: number; body: string }>;
  /** Closes the pooled sockets. */
  close(): void;
};

/** Endpoint paths of the two routes. */
export const ROUTE_PATHS: Readonly<Record<Route, string>> = { lite: '/marketing_messages', cloud: '/messages' };

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
const MAX_BODY_BYTES = 1 << 20;
/**
 * Longest a pooled socket stays idle. Below the idle timeouts of common servers and load balancers
 * (Node's 5 s, nginx's 75 s, 60 s elsewhere); a server's shorter keep-alive hint wins. A socket
 * waiting on an answer is not affected: the request's own timer governs it.
 */
const IDLE_SOCKET_MS = 4_000;

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'ETIMEDOUT';
}

/** Creates a client for one channel. */
export function createDialogClient(options: DialogClientOptions): DialogClient {
  const base = new URL(options.baseUrl.replace(/\/+$/, ''));
  const secure = base.protocol === 'https:';
  const transport = secure ? https : http;
  const maxSockets = options.maxSockets ?? 64;
  // Every socket may stay open when idle: with Node's default of 256 free sockets, a fast channel
  // whose answers came back together closed the rest and reconnected them moments later. But not
  // for long: an idle socket is closed after IDLE_SOCKET_MS, or a second before the server's
  // `Keep-Alive: timeout` hint (Node applies the hint only under an agent timeout), so a request
  // is rarely written to a socket the server is closing, whose reset would leave it `unknown`.
  const agent = new transport.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo', timeout: IDLE_SOCKET_MS });
  const basePath = base.pathname === '/' ? '' : base.pathname;
  const port = base.port || (secure ? 443 : 80);
  const getHeaders = { accept: 'application/json', 'D360-API-KEY': options.apiKey };

  function request(path: string, body: unknown, method: 'POST' | 'GET' = 'POST'): Promise<{ status: number; body: string; retryAfter?: string } | SendResponse> {
    // The body goes out as a string: only its length in bytes is needed up front, not a copy.
    const data = method === 'GET' ? '' : JSON.stringify(body);
    return new Promise((resolve) => {
      let written = false;
      let settled = false;
      const settle = (value: { status: number; body: string; retryAfter?: string } | SendResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const req = transport.request(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port,
          method,
          path: basePath + path,
          agent,
          headers: method === 'GET' ? getHeaders : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...getHeaders },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size <= MAX_BODY_BYTES) chunks.push(chunk);
          });
          res.on('end', () => {
            const retryAfter = res.headers['retry-after'];
            // An answer is nearly always one chunk: no concatenated copy for it.
            const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8');
            settle({ status: res.statusCode ?? 0, body: text, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
          });
          res.on('error', (error) => onError(error));
        },
      );
      const onError = (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.name;
        if (error instanceof TimeoutError) {
          settle({ kind: 'network', reason: 'timeout', ambiguous: written, errorCode: 'ETIMEDOUT', message: `no answer within ${options.timeoutMs} ms` });
        } else if (CONNECT_ERRORS.has(code)) {
          settle({ kind: 'network', reason: 'connect', ambiguous: false, errorCode: code, message: error.message });
        } else {
          // A reset before any answer. Once the request was written the server may have taken
          // it (at-most-once: ambiguous, like a timeout); before that it cannot have. Idle sockets
          // are closed ahead of the server's keep-alive timeout (the agent above), so a request is
          // rarely written to a socket the server is closing.
          settle({ kind: 'network', reason: 'reset', ambiguous: written, errorCode: code, message: error.message });
        }
      };
      const timer = setTimeout(() => req.destroy(new TimeoutError(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on('error', onError);
      req.on('finish', () => {
        written = true;
      });
      req.end(data);
    });
  }

  return {
    async send(route, payload) {
      const result = await request(ROUTE_PATHS[route], payload);
      if ('kind' in result) return result;
      return parseResponse(result.status, result.body, result.retryAfter);
    },
    async postJson(path, body) {
      const result = await request(path, body);
      if ('kind' in result) throw new Error(`POST ${path} failed: ${result.kind === 'network' ? result.message : result.kind}`);
      return { status: result.status, body: result.body };
    },
    async getJson(path) {
      const result = await request(path, undefined, 'GET');
      if ('kind' in result) throw new Error(`GET ${path} failed: ${result.kind === 'network' ? result.message : result.kind}`);
      return { status: result.status, body: result.body };
    },
    close() {
      agent.destroy();
    },
  };
}
