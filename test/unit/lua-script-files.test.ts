/**
 * Every Lua script under src/ is written the same way: named `<name>-<keys>.lua`, opening with a
 * header that lists each of its KEYS and says what it returns, and registered under a command name
 * no other script takes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLuaScript } from '../../src/shared/redis-scripts.ts';

const src = new URL('../../src/', import.meta.url);
const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lua'));

describe('Lua script files', () => {
  it('exist, one command name each', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
    const commands = files.map((f) => loadLuaScript(new URL(f, src)).command);
    expect(new Set(commands).size).toBe(commands.length);
  });

  it.each(files)('%s opens with a header listing its KEYS and its return value', (file) => {
    const { numberOfKeys } = loadLuaScript(new URL(file, src));
    const text = readFileSync(new URL(file, src), 'utf8');
    const header = text.slice(0, text.indexOf(']]'));
    expect(text.startsWith('--[[')).toBe(true);
    for (let i = 1; i <= numberOfKeys; i++) expect(header).toContain(`KEYS[${i}]`);
    expect(header).not.toContain(`KEYS[${numberOfKeys + 1}]`);
    expect(header).toMatch(/Returns /);
  });
});
