/**
 * Campaign templates carry Meta components whose strings may hold `{{column}}` placeholders; each
 * recipient's fields fill them in. Intake checks that every placeholder has a value; the worker
 * renders the components just before the send.
 *
 * A placeholder names a recipient field, never anything else: values are looked up as own
 * properties only, so `{{__proto__}}` or `{{constructor}}` cannot reach Object.prototype (which
 * once sent "[object Object]" to customers), whatever kind of object the fields arrive in.
 */
import type { TemplateComponent } from './outbound-message.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_][A-Za-z0-9_.-]*)\s*\}\}/g;

function walkStrings(value: unknown, visit: (text: string) => string): unknown {
  if (typeof value === 'string') return visit(value);
  if (Array.isArray(value)) return value.map((item) => walkStrings(item, visit));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walkStrings(item, visit)]));
  }
  return value;
}

/** The distinct placeholder names used anywhere in the components, in order of appearance. */
export function placeholdersOf(components: readonly TemplateComponent[]): string[] {
  const names = new Set<string>();
  walkStrings(components, (text) => {
    for (const match of text.matchAll(PLACEHOLDER)) names.add(match[1] as string);
    return text;
  });
  return [...names];
}

/** The recipient's value for a placeholder: an own string property of `fields`, else undefined. */
export function fieldValue(fields: Readonly<Record<string, string>>, name: string): string | undefined {
  if (!Object.hasOwn(fields, name)) return undefined;
  const value: unknown = fields[name];
  return typeof value === 'string' ? value : undefined;
}

/** The placeholders that have no non-empty value in `fields`. */
export function missingPlaceholders(placeholders: readonly string[], fields: Readonly<Record<string, string>>): string[] {
  return placeholders.filter((name) => (fieldValue(fields, name) ?? '').trim() === '');
}

/** A copy of the components with every placeholder replaced by the recipient's value. */
export function renderComponents(components: readonly TemplateComponent[], fields: Readonly<Record<string, string>>): TemplateComponent[] {
  return walkStrings(components, (text) => text.replace(PLACEHOLDER, (_m, name: string) => fieldValue(fields, name) ?? '')) as TemplateComponent[];
}

/** Checks the shape of a components list; returns problems naming the index. */
export function checkComponents(components: unknown): string[] {
  if (!Array.isArray(components)) return ['components must be a JSON array of Meta template components'];
  return components.flatMap((component, index) =>
    component !== null && typeof component === 'object' && typeof (component as { type?: unknown }).type === 'string'
      ? []
      : [`components[${index}] must be an object with a "type" (header, body, button…)`],
  );
}
