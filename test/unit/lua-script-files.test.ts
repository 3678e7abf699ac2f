/**
 * Every Lua script under src/ is written the same way: named `<name>-<keys>.lua`, opening with a
 * header that lists each of its KEYS and says what it returns, and registered under a command name
 * no other script takes. And no file outside src/ledger spells a ledger value.
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

describe('ledger values', () => {
  // A ledger value starts with one of these state letters and a bar (`S|lite|…`, `C|token`…); only
  // src/ledger/ledger-value.ts may spell one, in TypeScript or in Lua.
  const LEDGER_VALUE_LITERAL = /['"`][SCUFQ]\|/;
  const sources = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ts|lua)$/.test(f) && !f.startsWith('ledger/'));

  it.each(sources)('%s builds or parses no ledger value', (file) => {
    const text = readFileSync(new URL(file, src), 'utf8');
    expect(text).not.toMatch(LEDGER_VALUE_LITERAL);
    expect(text).not.toMatch(/\.\.\s*['"]\|['"]/);
  });

  it('the rule would catch a value spelt elsewhere', () => {
    expect("redis.call('HSET', k, p, 'S|' .. route)").toMatch(LEDGER_VALUE_LITERAL);
    expect("if (value.startsWith('C|'))").toMatch(LEDGER_VALUE_LITERAL);
  });
});
