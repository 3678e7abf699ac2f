import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/shared/config.ts';
import { ERROR_CATALOGUE, LitecastError, isLitecastError } from '../../src/shared/errors.ts';
import { createLogger, maskPhones } from '../../src/shared/logger.ts';
import { createSecretBox } from '../../src/shared/secret-box.ts';
import { checkComponents, missingPlaceholders, placeholdersOf, renderComponents } from '../../src/shared/template-components.ts';

describe('config', () => {
  it('has defaults for everything', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', namespace: 'litecast', logLevel: 'info', rateMargin: 0.97, onAmbiguousTimeout: 'unknown', secretKey: undefined });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reports every problem at once, naming each variable', () => {
    try {
      loadConfig({ REDIS_URL: 'http://x', LITECAST_API_PORT: 'abc', LOG_LEVEL: 'loud', LITECAST_SECRET_KEY: 'short' });
      expect.unreachable();
    } catch (error) {
      expect(isLitecastError(error)).toBe(true);
      const message = (error as LitecastError).message;
      for (const name of ['REDIS_URL', 'LITECAST_API_PORT', 'LOG_LEVEL', 'LITECAST_SECRET_KEY']) expect(message).toContain(name);
      expect((error as LitecastError).details?.problems).toHaveLength(4);
      expect((error as LitecastError).code).toBe('LITECAST_ERR_CONFIG');
    }
  });

  it('treats empty secrets as unset and lists its variables', () => {
    expect(loadConfig({ LITECAST_API_TOKEN: '  ' }).apiToken).toBeUndefined();
    expect(CONFIG_VARIABLES).toContain('LITECAST_RATE_MARGIN');
  });
});

describe('error catalogue', () => {
  it('every code is LITECAST_ERR_*, with a 4xx/5xx status and a distinct-enough exit code', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      expect(code).toMatch(/^LITECAST_ERR_[A-Z_]+$/);
      expect(entry.httpStatus).toBeGreaterThanOrEqual(400);
      expect(entry.httpStatus).toBeLessThan(600);
      expect(entry.exitCode).toBeGreaterThan(1);
    }
    const e = new LitecastError('LITECAST_ERR_UNKNOWN_CHANNEL', 'nope');
    expect([e.httpStatus, e.exitCode, e.name]).toEqual([404, 67, 'LitecastError']);
  });
});

describe('logger', () => {
  function capture() {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    return { lines, logger: createLogger({ level: 'debug', destination: destination as never }) };
  }

  it('redacts keys and tokens and masks phone numbers in fields, bindings and messages', async () => {
    const { lines, logger } = capture();
    logger.child({ channel: 'c1', apiKey: 'SECRET-KEY-1' }).info({ to: '4915112345678', headers: { 'D360-API-KEY': 'SECRET-KEY-2', authorization: 'Bearer SECRET-TOKEN' }, nested: { list: ['441234567890'] } }, 'sent to 4915112345678');
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    for (const secret of ['SECRET-KEY-1', 'SECRET-KEY-2', 'SECRET-TOKEN', '4915112345678', '441234567890']) expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({ to: '**********678', msg: 'sent to **********678', apiKey: '[redacted]' });
  });

  it('masks only digit runs that look like phone numbers', () => {
    expect(maskPhones('campaign c1 batch 12 at 1234567')).toBe('campaign c1 batch 12 at 1234567');
    expect(maskPhones('+4915112345678 and 441234567890')).toBe('***********678 and *********890');
  });
});

describe('secret box', () => {
  it('encrypts with AES-GCM so the stored value does not contain the key, and opens it again', () => {
    const box = createSecretBox('a-very-long-secret-key');
    const sealed = box.seal('D360-KEY-abc');
    expect(sealed).toMatch(/^enc:v1:/);
    expect(sealed).not.toContain('D360-KEY-abc');
    expect(box.seal('D360-KEY-abc')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('D360-KEY-abc');
  });

  it('refuses to open with the wrong key or without one, and says what to do', () => {
    const sealed = createSecretBox('a-very-long-secret-key').seal('x');
    expect(() => createSecretBox('another-long-secret').open(sealed)).toThrow(/LITECAST_SECRET_KEY differs/);
    expect(() => createSecretBox(undefined).open(sealed)).toThrow(/set LITECAST_SECRET_KEY/);
    expect(createSecretBox(undefined).open(createSecretBox(undefined).seal('plain-key'))).toBe('plain-key');
  });
});

describe('template components', () => {
  const components = [
    { type: 'header', parameters: [{ type: 'text', text: '{{ city }}' }] },
    { type: 'body', parameters: [{ type: 'text', text: 'Hi {{name}}' }, { type: 'text', text: '{{code}}-{{name}}' }] },
  ];

  it('finds placeholders and fills them per recipient without touching the template', () => {
    expect(placeholdersOf(components)).toEqual(['city', 'name', 'code']);
    expect(renderComponents(components, { city: 'Lisboa', name: 'Ana', code: 'X1' })).toEqual([
      { type: 'header', parameters: [{ type: 'text', text: 'Lisboa' }] },
      { type: 'body', parameters: [{ type: 'text', text: 'Hi Ana' }, { type: 'text', text: 'X1-Ana' }] },
    ]);
    expect(components[0]?.parameters[0]?.text).toBe('{{ city }}');
  });

  it('reports missing or blank values and malformed components', () => {
    expect(missingPlaceholders(['city', 'name', 'code'], { city: 'x', name: ' ' })).toEqual(['name', 'code']);
    expect(checkComponents({})).toHaveLength(1);
    expect(checkComponents([{ type: 'body' }, 'x', { parameters: [] }])).toEqual([
      'components[1] must be an object with a "type" (header, body, button…)',
      'components[2] must be an object with a "type" (header, body, button…)',
    ]);
  });
});
