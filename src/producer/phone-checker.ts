/**
 * Judges the phone cells of a recipient file on a helper thread. Checking a number against its
 * country's numbering plan (libphonenumber-js) costs 5–20 µs, about half of a million-row
 * intake's time on one thread; on a second thread it overlaps the reading, parsing and storing of
 * the rows. `judgedRows` hands the rows on in file order, each with its phone's verdict, judging
 * the next chunk while the caller stores the current one.
 *
 * The verdicts are exactly `judgePhone`'s: small lists are judged in place, and if the thread
 * cannot start or dies, its pending lists and every later one are judged in place too.
 */
import { Worker } from 'node:worker_threads';
import { judgePhone, type PhoneJudgement } from './judge-phone.ts';
import type { PhoneCheckReply, PhoneCheckRequest } from './phone-check-thread.ts';
import type { ReadItem } from './read-recipients.ts';

/** Judges a list of raw phone cells, verdicts in the same order. */
export type JudgePhones = (phones: string[]) => Promise<PhoneJudgement[]>;

/** Rows per chunk: a thread round trip costs tens of µs, a chunk's judging 5–20 ms. */
export const CHUNK_ROWS = 1_000;
/** Shorter lists are judged in place: a small upload never starts the thread. */
const THREAD_MIN_PHONES = 500;

const THREAD_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './phone-check-thread.ts' : './phone-check-thread.js', import.meta.url);

/**
 * Starts the thread. Under the TypeScript sources (tests, `npm run dev`, the benchmarks) it first
 * registers tsx's loader: Node 20 does not apply `--import` hooks to a worker's entry module.
 */
function startThread(entry: URL): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry);
  let loader = 'tsx/esm/api';
  try {
    loader = import.meta.resolve(loader);
  } catch {
    // Resolved from the working directory instead.
  }
  return new Worker(`import(${JSON.stringify(loader)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true });
}

function judgeInPlace(phones: string[]): Promise<PhoneJudgement[]> {
  try {
    return Promise.resolve(phones.map(judgePhone));
  } catch (error) {
    return Promise.reject(error);
  }
}

/** A checker with its own helper thread, started at the first long list; `close` stops it. */
export function createPhoneChecker(options: { threadMinPhones?: number; entry?: URL } = {}): { judge: JudgePhones; onThread(): boolean; close(): Promise<void> } {
  const threadMin = options.threadMinPhones ?? THREAD_MIN_PHONES;
  const entry = options.entry ?? THREAD_ENTRY;
  const pending = new Map<number, { phones: string[]; resolve(judgements: PhoneJudgement[]): void; reject(error: unknown): void }>();
  let thread: Worker | undefined;
  let broken = false;
  let nextId = 0;

  // The lists in flight are judged here instead; the thread is not tried again.
  function giveUp(): void {
    broken = true;
    thread = undefined;
    for (const [id, request] of pending) {
      pending.delete(id);
      judgeInPlace(request.phones).then(request.resolve, request.reject);
    }
  }

  function start(): Worker | undefined {
    if (thread || broken) return thread;
    try {
      const started = startThread(entry);
      started.on('message', (reply: PhoneCheckReply) => {
        const request = pending.get(reply.id);
        if (!request) return;
        pending.delete(reply.id);
        request.resolve(reply.judgements);
        // An idle thread must not keep the process alive (a CLI run ends when its work does).
        if (pending.size === 0) started.unref();
      });
      started.on('error', giveUp);
      started.on('exit', giveUp);
      thread = started;
    } catch {
      broken = true;
    }
    return thread;
  }

  return {
    judge(phones) {
      const target = phones.length >= threadMin ? start() : undefined;
      if (!target) return judgeInPlace(phones);
      return new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { phones, resolve, reject });
        target.ref();
        const request: PhoneCheckRequest = { id, phones };
        target.postMessage(request);
      });
    },
    /** True while the helper thread runs (it started and has not failed). */
    onThread: () => thread !== undefined,
    async close() {
      const running = thread;
      broken = true;
      thread = undefined;
      if (running) await running.terminate();
    },
  };
}

let shared: ReturnType<typeof createPhoneChecker> | undefined;

/** The process's checker, shared by every intake running in it. */
export function sharedPhoneChecker(): JudgePhones {
  shared ??= createPhoneChecker();
  return shared.judge;
}

/** A row as read, with its phone's verdict when the reader took it. */
export type JudgedRow = Extract<ReadItem, { ok: false }> | (Extract<ReadItem, { ok: true }> & { judgement: PhoneJudgement });

/**
 * The rows in file order, each with its phone's verdict. A chunk's phones are judged while the
 * caller stores the chunk before it, so rows reach the caller a chunk behind the reading (nothing
 * is enqueued before the whole file is read anyway). A reading error comes after every row read
 * before it.
 */
export async function* judgedRows(rows: AsyncIterable<ReadItem> | Iterable<ReadItem>, judge: JudgePhones, chunkRows = CHUNK_ROWS): AsyncGenerator<JudgedRow> {
  type Chunk = { items: ReadItem[]; judged: Promise<PhoneJudgement[]> };
  const dispatch = (items: ReadItem[]): Chunk => {
    const judged = judge(items.map((item) => (item.ok ? item.recipient.phone : '')));
    // Handled here so that a chunk abandoned by a failing caller is no unhandled rejection.
    judged.catch(() => undefined);
    return { items, judged };
  };
  async function* emit(chunk: Chunk): AsyncGenerator<JudgedRow> {
    const judgements = await chunk.judged;
    for (let i = 0; i < chunk.items.length; i++) {
      const item = chunk.items[i] as ReadItem;
      yield item.ok ? { ok: true, recipient: item.recipient, judgement: judgements[i] as PhoneJudgement } : item;
    }
  }
  let open: ReadItem[] = [];
  let ahead: Chunk | undefined;
  try {
    for await (const item of rows) {
      open.push(item);
      if (open.length < chunkRows) continue;
      const next = dispatch(open);
      open = [];
      if (ahead) yield* emit(ahead);
      ahead = next;
    }
  } catch (error) {
    if (ahead) yield* emit(ahead);
    if (open.length > 0) yield* emit(dispatch(open));
    throw error;
  }
  if (ahead) yield* emit(ahead);
  if (open.length > 0) yield* emit(dispatch(open));
}
