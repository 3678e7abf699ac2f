/**
 * A lean HTTP/1.1 load generator for section 4: keep-alive sockets writing prebuilt requests and
 * reading answers that carry a Content-Length (both litecast's API and the trivial reference
 * server send one). 360dialog's senders run on other machines; here the generator shares the two
 * cores with what it measures, so it must cost as little as possible per request: one write and
 * one read per POST, no per-request objects beyond the answer's bytes (undici's pool spent
 * 40–80 µs of CPU per POST on this machine, this about a quarter of that).
 *
 * `postAll` sends every prebuilt request once, in order: as fast as answered (closed loop, one
 * request in flight per connection) or paced (open loop: request i is written at i ÷ rate, on the
 * first idle connection, or queued until one is free).
 */
import net from 'node:net';

export type Answer = { status: number; body: string };

export type PostAllResult = {
  /** Per request, in request order: ms from written (or due, when paced) to answered, and the answer. */
  latenciesMs: number[];
  ackedAt: number[];
  answers: Answer[];
};

/** The bytes of one POST (headers and body), built before the clock starts. */
export function buildRequest(host: string, path: string, headers: Record<string, string>, body: Buffer): Buffer {
  const head = [`POST ${path} HTTP/1.1`, `host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), `content-length: ${body.length}`, '', ''].join('\r\n');
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Reads answers off one socket: status line, headers up to CRLFCRLF, then Content-Length bytes. */
function answerReader(onAnswer: (answer: Answer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      const end = pending.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = pending.toString('latin1', 0, end);
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!match) throw new Error(`answer without Content-Length: ${head.slice(0, 200)}`);
      const total = end + 4 + Number(match[1]);
      if (pending.length < total) return;
      onAnswer({ status: Number(head.slice(9, 12)), body: pending.toString('utf8', end + 4, total) });
      pending = pending.subarray(total);
    }
  };
}

export async function postAll(options: { port: number; host?: string; connections: number; requests: readonly Buffer[]; requestsPerSecond?: number }): Promise<PostAllResult> {
  const { requests } = options;
  const latenciesMs = new Array<number>(requests.length).fill(0);
  const ackedAt = new Array<number>(requests.length).fill(0);
  const answers = new Array<Answer>(requests.length);
  const sockets = await Promise.all(
    Array.from({ length: Math.min(options.connections, requests.length) }, () =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ port: options.port, host: options.host ?? '127.0.0.1', noDelay: true }, () => resolve(socket));
        socket.once('error', reject);
      }),
    ),
  );
  const started = performance.now();
  const interval = options.requestsPerSecond ? 1000 / options.requestsPerSecond : 0;
  let next = 0;
  let done = 0;
  const idle: net.Socket[] = [];
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const inFlight = new Map<net.Socket, { index: number; from: number }>();

  const write = (socket: net.Socket, index: number, from: number) => {
    inFlight.set(socket, { index, from });
    socket.write(requests[index] as Buffer);
  };
  const settle = (socket: net.Socket, answer: Answer) => {
    const current = inFlight.get(socket);
    if (!current) return;
    inFlight.delete(socket);
    latenciesMs[current.index] = performance.now() - current.from;
    ackedAt[current.index] = Date.now();
    answers[current.index] = answer;
    done += 1;
    if (done === requests.length) finish();
    else if (!interval && next < requests.length) write(socket, next++, performance.now());
    else if (interval && queued.length > 0) {
      const index = queued.shift() as number;
      write(socket, index, started + index * interval);
    } else idle.push(socket);
  };
  const queued: number[] = [];
  for (const socket of sockets) {
    socket.on('data', answerReader((answer) => settle(socket, answer)));
    // A lost connection fails the run: its request's fate is unknown, and a figure would hide it.
    socket.on('error', (error) => fail(error));
    socket.on('close', () => {
      if (done < requests.length) fail(new Error(`the server closed a connection after ${done} of ${requests.length} answers`));
    });
  }
  if (!interval) {
    for (const socket of sockets) if (next < requests.length) write(socket, next++, performance.now());
  } else {
    idle.push(...sockets);
    // Open loop: each request at its time, whatever became of the earlier ones.
    while (next < requests.length) {
      const wait = started + next * interval - performance.now();
      // Always yield to the timers (a millisecond at least), so answers are read between writes and
      // the generator does not spin: the requests due within a millisecond leave together.
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, wait)));
      const now = performance.now();
      while (next < requests.length && started + next * interval <= now) {
        const socket = idle.pop();
        if (socket) write(socket, next, started + next * interval);
        else queued.push(next);
        next += 1;
      }
    }
  }
  try {
    await finished;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
  return { latenciesMs, ackedAt, answers };
}
