/**
 * The helper thread of phone-checker.ts: judges the phone cells it is sent, in order, and sends
 * the verdicts back under the same request id.
 */
import { parentPort } from 'node:worker_threads';
import { judgePhone } from './judge-phone.ts';

export type PhoneCheckRequest = { id: number; phones: string[] };
export type PhoneCheckReply = { id: number; judgements: ReturnType<typeof judgePhone>[] };

parentPort?.on('message', (request: PhoneCheckRequest) => {
  const reply: PhoneCheckReply = { id: request.id, judgements: request.phones.map(judgePhone) };
  parentPort?.postMessage(reply);
});
