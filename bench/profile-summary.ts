/**
 * Where a process's CPU time went, from a V8 `.cpuprofile` (`node --cpu-prof`, e.g. the workers of
 * `--profile-workers DIR` or the API and workers of `--profile-webhooks DIR`):
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 25] [--frames name1,name2] [--from S]
 *
 * Prints the busy time (idle left out), self time by origin (a package under node_modules, a
 * file of src/, node's internals, the garbage collector), the functions with the most self time,
 * and the inclusive time of the frames named with --frames (time with that function anywhere on
 * the stack, each sample counted once). `--from S` leaves out the first S seconds of the profile
 * (a process's start-up: module loading and compilation).
 */
import { readFileSync } from 'node:fs';

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export type ProfileSummary = {
  totalMs: number;
  busyMs: number;
  byOrigin: Array<[string, number]>;
  topSelf: Array<[string, number]>;
  inclusive: Array<[string, number]>;
};

/** The origin of a frame: `bullmq`, `src/webhooks/webhook-store.ts`, `node:internal`, `(garbage collector)`… */
export function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node:internal';
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return url.slice(bench + 1);
  return url;
}

export function summarizeProfile(profile: Profile, frames: readonly string[] = [], top = 25, fromSeconds = 0): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at >= fromSeconds * 1e6) self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const origin = new Map<string, number>();
  const fn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    busy += us;
    const o = originOf(url, functionName);
    origin.set(o, (origin.get(o) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${o}:${lineNumber + 1}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    if (frames.length > 0) {
      const seen = new Set<string>();
      for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
        const f = byId.get(up)?.callFrame.functionName ?? '';
        if (frames.includes(f) && !seen.has(f)) {
          seen.add(f);
          inclusive.set(f, (inclusive.get(f) ?? 0) + us);
        }
      }
    }
  }
  const ms = (entries: Map<string, number>) => [...entries].map(([k, v]) => [k, Math.round(v / 100) / 10] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), byOrigin: ms(origin).slice(0, top), topSelf: ms(fn).slice(0, top), inclusive: ms(inclusive) };
}

function main(argv: string[]): void {
  const file = argv.find((a) => !a.startsWith('--'));
  if (!file) {
    console.error('usage: profile-summary.ts FILE.cpuprofile [--top N] [--frames a,b,c] [--from S]');
    process.exit(64);
  }
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const top = Number(value('--top') ?? 25);
  const frames = (value('--frames') ?? '').split(',').filter(Boolean);
  const s = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as Profile, frames, top, Number(value('--from') ?? 0));
  const pct = (v: number) => `${((v / s.busyMs) * 100).toFixed(1).padStart(5)} %`;
  console.log(`${file}\n  profiled ${s.totalMs} ms, busy ${s.busyMs} ms (idle left out)\n\n  self time by origin:`);
  for (const [k, v] of s.byOrigin) console.log(`  ${pct(v)}  ${String(v).padStart(8)} ms  ${k}`);
  console.log('\n  functions with the most self time:');
  for (const [k, v] of s.topSelf) console.log(`  ${pct(v)}  ${String(v).padStart(8)} ms  ${k}`);
  if (s.inclusive.length > 0) {
    console.log('\n  inclusive time of the named frames:');
    for (const [k, v] of s.inclusive) console.log(`  ${pct(v)}  ${String(v).padStart(8)} ms  ${k}`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) main(process.argv.slice(2));
