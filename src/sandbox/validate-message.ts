import { MM_TEMPLATE_REFUSALS, NOT_A_MARKETING_TEMPLATE, NOT_A_TEMPLATE_MESSAGE, TEMPLATE_NOT_APPROVED_FOR_MARKETING, type ErrorFixture } from './fixtures/error-bodies.ts';
import type { SandboxTemplate } from './sandbox-config.ts';

/** `lite` = `POST /marketing_messages`, `cloud` = `POST /messages`. */
export type Route = 'lite' | 'cloud';

/** The outcome of validating one send request. */
export type ValidationResult =
  | { ok: true; to: string; template: SandboxTemplate; bizOpaqueCallbackData: string | undefined }
  | { ok: false; code: number; details: string; fixture?: ErrorFixture };

const refusal = (fixture: ErrorFixture): ValidationResult => {
  const error = (fixture.body.detail as { error?: Record<string, unknown> } | undefined)?.error ?? (fixture.body.error as Record<string, unknown>);
  return { ok: false, code: Number(error.code), details: String(error.message), fixture };
};

/** Templates by name and language. */
export type TemplateIndex = ReadonlyMap<string, SandboxTemplate>;

const templateKey = (name: string, language: string) => `${name}\u0000${language}`;

/** Indexes templates by (name, language) so a lookup per request is O(1). */
export function buildTemplateIndex(templates: readonly SandboxTemplate[]): TemplateIndex {
  return new Map(templates.map((template) => [templateKey(template.name, template.language), template]));
}

// Meta's OpenAPI for the MM request has additionalProperties: false over exactly these keys;
// 360dialog adds message_send_ttl_seconds, and litecast sends biz_opaque_callback_data for correlation.
const LITE_KEYS = new Set([
  'messaging_product',
  'recipient_type',
  'to',
  'type',
  'template',
  'product_policy',
  'message_activity_sharing',
  'message_send_ttl_seconds',
  'biz_opaque_callback_data',
]);
// Not Cloud API fields: a client re-sending a lite payload via /messages must strip them.
const LITE_ONLY_KEYS = ['product_policy', 'message_activity_sharing', 'message_send_ttl_seconds'];
// Marketing TTL range of the MM API (12 h – 30 d), reference §2.
const TTL_MIN = 43_200;
const TTL_MAX = 2_592_000;
const PHONE = /^\d{6,15}$/;

const invalid = (details: string): ValidationResult => ({ ok: false, code: 100, details });
const required = (field: string) => invalid(`The parameter ${field} is required.`);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Validates a send request the way Meta and 360dialog do for the calls litecast makes, returning
 * the first problem with its real error code. Pure: the template list is passed in.
 */
export function validateMessage(route: Route, body: unknown, templates: TemplateIndex): ValidationResult {
  const endpoint = route === 'lite' ? '/marketing_messages' : '/messages';
  if (!isObject(body)) return invalid('The request body must be a JSON object.');
  for (const key of Object.keys(body)) {
    if (route === 'lite' ? !LITE_KEYS.has(key) : LITE_ONLY_KEYS.includes(key)) {
      return invalid(`Unexpected key "${key}" on ${endpoint}`);
    }
  }
  if (body.messaging_product === undefined) return required('messaging_product');
  if (body.messaging_product !== 'whatsapp') return invalid('Param messaging_product must be "whatsapp".');
  if (route === 'lite' && body.recipient_type === undefined) return required('recipient_type');
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    return invalid('Param recipient_type must be "individual".');
  }
  if (body.to === undefined) return required('to');
  if (typeof body.to !== 'string' || !PHONE.test(body.to)) {
    return invalid('Param to must be a phone number in international format, digits only.');
  }
  if (body.type === undefined) return required('type');
  if (body.type !== 'template') {
    return route === 'lite' ? refusal(NOT_A_TEMPLATE_MESSAGE) : invalid(`Param type must be "template" on ${endpoint}.`);
  }

  const template = body.template;
  if (!isObject(template)) return required('template');
  if (typeof template.name !== 'string' || template.name === '') return required('template.name');
  if (!isObject(template.language)) return required('template.language');
  const language = template.language;
  if (typeof language.code !== 'string' || language.code === '') return required('template.language.code');
  if (route === 'lite' && language.policy === undefined) return required('template.language.policy');
  if (language.policy !== undefined && language.policy !== 'deterministic') {
    return invalid('Param template.language.policy must be "deterministic".');
  }
  const bodyParams = countBodyParameters(template.components);
  if (typeof bodyParams === 'string') return invalid(bodyParams);

  if (body.product_policy !== undefined && body.product_policy !== 'CLOUD_API_FALLBACK' && body.product_policy !== 'STRICT') {
    return invalid('Param product_policy must be "CLOUD_API_FALLBACK" or "STRICT".');
  }
  if (body.message_activity_sharing !== undefined && typeof body.message_activity_sharing !== 'boolean') {
    return invalid('Param message_activity_sharing must be a boolean.');
  }
  const ttl = body.message_send_ttl_seconds;
  if (ttl !== undefined && (!Number.isInteger(ttl) || (ttl as number) < TTL_MIN || (ttl as number) > TTL_MAX)) {
    return invalid(`Param message_send_ttl_seconds must be an integer between ${TTL_MIN} and ${TTL_MAX}.`);
  }
  const opaque = body.biz_opaque_callback_data;
  if (opaque !== undefined && (typeof opaque !== 'string' || opaque.length > 512)) {
    return invalid('Param biz_opaque_callback_data must be a string of at most 512 characters.');
  }

  const known = templates.get(templateKey(template.name, language.code));
  if (known === undefined) {
    return { ok: false, code: 132001, details: `template name (${template.name}) does not exist in ${language.code}` };
  }
  // A utility or authentication template on MM is 131055 "Method not allowed" with these details.
  if (route === 'lite' && known.category !== 'MARKETING') return refusal(NOT_A_MARKETING_TEMPLATE);
  if (route === 'lite' && known.liteRefusal !== undefined) {
    return refusal(known.liteRefusal === 200 ? TEMPLATE_NOT_APPROVED_FOR_MARKETING : MM_TEMPLATE_REFUSALS[known.liteRefusal]);
  }
  if (known.status === 'PAUSED') return { ok: false, code: 132015, details: `Template ${known.name} is paused.` };
  if (known.status === 'DISABLED') return { ok: false, code: 132016, details: `Template ${known.name} is disabled.` };
  if (known.bodyParams !== undefined && bodyParams !== known.bodyParams) {
    return {
      ok: false,
      code: 132000,
      details: `body: number of localizable_params (${bodyParams}) does not match the expected number of params (${known.bodyParams})`,
    };
  }
  return { ok: true, to: body.to, template: known, bizOpaqueCallbackData: opaque as string | undefined };
}

/** Counts the parameters of the `body` component, or returns what is malformed. */
function countBodyParameters(components: unknown): number | string {
  if (components === undefined) return 0;
  if (!Array.isArray(components)) return 'Param template.components must be an array.';
  let count = 0;
  for (const [index, component] of components.entries()) {
    if (!isObject(component) || typeof component.type !== 'string') {
      return `Param template.components[${index}].type is required.`;
    }
    if (component.parameters !== undefined && !Array.isArray(component.parameters)) {
      return `Param template.components[${index}].parameters must be an array.`;
    }
    if (component.type.toLowerCase() === 'body') count += (component.parameters as unknown[] | undefined)?.length ?? 0;
  }
  return count;
}
