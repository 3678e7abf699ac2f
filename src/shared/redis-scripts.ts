/**
 * The one loader of litecast's Lua scripts. Every script is its own `.lua` file beside the module
 * that uses it, named with its key count as BullMQ names its commands (`commit-many-4.lua`: 4 keys), and
 * opening with a comment that lists KEYS[i], ARGV[i] and what it returns. A module names its
 * scripts with URLs relative to itself (`new URL('./commit-many-4.lua', import.meta.url)`), so they are
 * found both in src/ and, after the build copies them, in dist/.
 *
 * Scripts are read on first use, not at import, and registered once per connection with ioredis'
 * `defineCommand` (EVALSHA, falling back to EVAL after a Redis restart).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient as Redis } from './redis.ts';

/** A script read from its file: the command name it is registered under, its key count, its text. */
export type LuaScript = { readonly command: string; readonly numberOfKeys: number; readonly lua: string };

const FILE_NAME = /^([a-z][a-z0-9]*(?:-[a-z][a-z0-9]*)*)-(\d+)\.lua$/;
const loaded = new Map<string, LuaScript>();

/**
 * Reads a script file (once per process). `commit-many-4.lua` becomes the command `litecastCommitMany` with
 * 4 keys; a file name without a key count is a programming error and throws.
 */
export function loadLuaScript(url: URL): LuaScript {
  const cached = loaded.get(url.href);
  if (cached) return cached;
  const file = basename(fileURLToPath(url));
  const match = FILE_NAME.exec(file);
  if (!match) throw new Error(`Lua script "${file}" must be named <name>-<number of keys>.lua`);
  const [, name = '', keys = '0'] = match;
  const command = `litecast${name.replace(/(^|-)([a-z])/g, (_m, _dash: string, c: string) => c.toUpperCase())}`;
  const script = { command, numberOfKeys: Number(keys), lua: readFileSync(url, 'utf8') };
  loaded.set(url.href, script);
  return script;
}

/** One call of a registered script: its name, its keys, its arguments. */
export type ScriptCall<Name extends string> = readonly [name: Name, keys: readonly string[], args: ReadonlyArray<string | number>];

/**
 * Runs one registered script: its keys (checked against the file's key count), then its arguments.
 * `batch` runs several calls in one pipeline (one round trip, one write); on a cluster their keys
 * must share a slot (one campaign's keys do).
 */
export type ScriptRunner<Name extends string> = ((name: Name, keys: readonly string[], args: ReadonlyArray<string | number>) => Promise<unknown>) & {
  batch(calls: ReadonlyArray<ScriptCall<Name>>): Promise<unknown[]>;
};

type CommandHost = Record<string, ((...args: Array<string | number>) => Promise<unknown>) | undefined>;

/**
 * Registers scripts on a connection (idempotent: a connection shared by several stores gets each
 * command once) and returns a runner for them.
 */
export function defineScripts<Name extends string>(redis: Redis, files: Readonly<Record<Name, URL>>): ScriptRunner<Name> {
  const scripts = new Map<Name, LuaScript>();
  // ioredis adds a method per defined command; it has no typed way to reach them by name.
  const host = redis as unknown as CommandHost;
  for (const [name, url] of Object.entries(files) as Array<[Name, URL]>) {
    const script = loadLuaScript(url);
    if (typeof host[script.command] !== 'function') redis.defineCommand(script.command, { numberOfKeys: script.numberOfKeys, lua: script.lua });
    scripts.set(name, script);
  }
  const check = (name: Name, keys: readonly string[]): LuaScript => {
    const script = scripts.get(name) as LuaScript;
    if (keys.length !== script.numberOfKeys) throw new Error(`${script.command} takes ${script.numberOfKeys} keys, got ${keys.length}`);
    return script;
  };
  const run = async (name: Name, keys: readonly string[], args: ReadonlyArray<string | number>) => {
    const script = check(name, keys);
    const command = host[script.command] as (...args: Array<string | number>) => Promise<unknown>;
    return command.call(redis, ...keys, ...args);
  };
  const batch = async (calls: ReadonlyArray<ScriptCall<Name>>): Promise<unknown[]> => {
    if (calls.length === 0) return [];
    const pipeline = redis.pipeline();
    // A pipeline gets the same per-command methods as its connection.
    const pipeHost = pipeline as unknown as Record<string, (...args: Array<string | number>) => unknown>;
    for (const [name, keys, args] of calls) (pipeHost[check(name, keys).command] as (...a: Array<string | number>) => unknown).call(pipeline, ...keys, ...args);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  };
  return Object.assign(run, { batch });
}
