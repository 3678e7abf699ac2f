/**
 * The reference for section 2: how many requests per second this machine's loopback can carry
 * between two Node processes, with nothing of litecast in between. Deliberately trivial.
 *
 *   node --import tsx bench/raw-http-peer.ts server
 *     prints "raw server listening on <port>"; answers every POST with a fixed 200 JSON body
 *     shaped like a send answer (with `webhook`: `{"ok":true}`, as the webhook endpoint answers),
 *     and `GET /cpu` with its own process.cpuUsage().
 *   node --import tsx bench/raw-http-peer.ts client <url> <concurrency> <warmupMs> <measureMs> <payloadFile>
 *     posts the payload over keep-alive connections, `concurrency` requests in flight, and prints
 *     one JSON line: requests answered in the measured window, its length, and both sides' CPU.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';

const ANSWER = JSON.stringify({
  messaging_product: 'whatsapp',
  contacts: [{ input: '447000000001', wa_id: '447000000001' }],
  messages: [{ id: 'wamid.SEJnTGM0ZjFhMjAwMDAwMDAxOGE3YjNjNGQ1ZTZmNzA4', message_status: 'accepted' }],
  success: true,
});

function runServer(answer: string): void {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/cpu') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(process.cpuUsage()));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => console.log(`raw server listening on ${(server.address() as AddressInfo).port}`));
  process.on('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

async function runClient(url: string, concurrency: number, warmupMs: number, measureMs: number, payloadFile: string): Promise<void> {
  const target = new URL(url);
  const body = readFileSync(payloadFile);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, scheduling: 'lifo' });
  const post = () =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          method: 'POST',
          path: '/marketing_messages',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': body.length, 'D360-API-KEY': 'raw-key' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const serverCpu = async () => {
    const response = await fetch(`${url}/cpu`);
    return (await response.json()) as NodeJS.CpuUsage;
  };

  const start = Date.now();
  const measureFrom = start + warmupMs;
  const measureTo = measureFrom + measureMs;
  let counted = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let serverCpuAtStart: Promise<NodeJS.CpuUsage> | undefined;
  const lane = async () => {
    for (;;) {
      const now = Date.now();
      if (now >= measureTo) return;
      if (now >= measureFrom && cpuAtStart === undefined) {
        cpuAtStart = process.cpuUsage();
        serverCpuAtStart = serverCpu();
      }
      await post();
      const done = Date.now();
      if (done >= measureFrom && done < measureTo) counted++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const clientCpu = process.cpuUsage(cpuAtStart);
  const serverEnd = await serverCpu();
  const serverStart = await (serverCpuAtStart as Promise<NodeJS.CpuUsage>);
  const seconds = measureMs / 1000;
  console.log(
    JSON.stringify({
      requests: counted,
      seconds,
      perSecond: counted / seconds,
      clientCpuSeconds: (clientCpu.user + clientCpu.system) / 1e6,
      serverCpuSeconds: (serverEnd.user + serverEnd.system - serverStart.user - serverStart.system) / 1e6,
    }),
  );
  agent.destroy();
}

const [mode, ...args] = process.argv.slice(2);
// `server webhook`: the answer litecast's webhook endpoint gives, for section 4's reference.
if (mode === 'server') runServer(args[0] === 'webhook' ? '{"ok":true}' : ANSWER);
else if (mode === 'client') await runClient(args[0] ?? '', Number(args[1]), Number(args[2]), Number(args[3]), args[4] ?? '');
else {
  console.error('usage: raw-http-peer.ts server | client <url> <concurrency> <warmupMs> <measureMs> <payloadFile>');
  process.exit(64);
}
