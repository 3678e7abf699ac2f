/**
 * The API's JSON body parser. Fastify's own throws away why a body was refused (a `__proto__` key
 * was reported as "not valid JSON"); this one says what is wrong and what to do.
 */
import { LitecastError } from '../shared/errors.ts';

/** True when some object in `value` has an own `__proto__` key or a `constructor.prototype`. */
function hasPrototypeKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Object.prototype.hasOwnProperty.call(v, '__proto__')) return true;
    const ctor = (v as Record<string, unknown>).constructor;
    if (Object.prototype.hasOwnProperty.call(v, 'constructor') && ctor !== null && typeof ctor === 'object' && Object.prototype.hasOwnProperty.call(ctor, 'prototype')) return true;
    for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}

/** Parses a JSON request body; throws LITECAST_ERR_VALIDATION saying what is wrong. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') throw new LitecastError('LITECAST_ERR_VALIDATION', 'The body is empty; send a JSON object.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new LitecastError('LITECAST_ERR_VALIDATION', `The body is not valid JSON (${(error as Error).message}); send a JSON object.`);
  }
  // JSON.parse makes "__proto__" an own key, harmless here, but code that copies objects could be poisoned by it.
  if (text.includes('__proto__') || text.includes('prototype')) {
    if (hasPrototypeKey(value)) throw new LitecastError('LITECAST_ERR_VALIDATION', 'The body has a "__proto__" or "constructor.prototype" key, which is refused; remove that key.');
  }
  return value;
}
