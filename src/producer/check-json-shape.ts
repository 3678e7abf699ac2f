/**
 * Bounds on caller-supplied JSON (template components): nesting depth and number of values. A
 * thousand-deep array answered 500 and could leave a half-created campaign; now it is a 400
 * before anything is written.
 */
import { LitecastError } from '../shared/errors.ts';

export type JsonShapeLimits = { maxDepth: number; maxValues: number };

/** Template components nest about five deep in Meta's format; 12 leaves room, 10,000 values is plenty. */
export const COMPONENT_LIMITS: JsonShapeLimits = { maxDepth: 12, maxValues: 10_000 };

/** Throws LITECAST_ERR_VALIDATION naming `field` when `value` nests deeper or holds more values than allowed. */
export function checkJsonShape(value: unknown, field: string, limits: JsonShapeLimits = COMPONENT_LIMITS): void {
  // Iterative, so the check itself cannot overflow the stack on the input it guards against.
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  let values = 0;
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    values += 1;
    if (depth > limits.maxDepth) throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: ${field}: nested more than ${limits.maxDepth} levels deep; Meta's template components are flat objects and arrays, see GET /docs.`);
    if (values > limits.maxValues) throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: ${field}: more than ${limits.maxValues} values; send only the components the template uses.`);
    if (v !== null && typeof v === 'object') for (const child of Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
}
