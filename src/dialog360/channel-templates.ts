/**
 * A channel's message templates as 360dialog lists them (`GET /v1/configs/templates`,
 * whatsapp-api.md §9): parsing of the listing into a small typed shape. Pure.
 */

/** One template of a channel, as far as litecast checks it. */
export type ChannelTemplate = {
  name: string;
  language: string;
  /** MARKETING | UTILITY | AUTHENTICATION (upper case as listed). */
  category: string;
  /** APPROVED | PENDING | REJECTED | PAUSED | DISABLED … (upper case as listed). */
  status: string;
  components: Array<Record<string, unknown>>;
  /** Creation time in ms since the epoch, when the listing gives one. */
  createdAtMs?: number;
};

const asRecord = (value: unknown): Record<string, unknown> | undefined =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;

function readTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e12 ? value * 1000 : value;
  if (typeof value === 'string' && value !== '') {
    const ms = /^\d+$/.test(value) ? Number(value) * (value.length <= 10 ? 1000 : 1) : Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * Reads the listing body: 360dialog answers `{ waba_templates: [...] }` (Meta's Graph API uses
 * `{ data: [...] }`; both are accepted). Entries without a name or language are skipped.
 */
export function parseTemplateListing(body: unknown): ChannelTemplate[] {
  const root = asRecord(body);
  const list = Array.isArray(root?.waba_templates) ? root.waba_templates : Array.isArray(root?.data) ? root.data : [];
  const templates: ChannelTemplate[] = [];
  for (const raw of list) {
    const entry = asRecord(raw);
    if (!entry || typeof entry.name !== 'string' || typeof entry.language !== 'string') continue;
    const template: ChannelTemplate = {
      name: entry.name,
      language: entry.language,
      category: typeof entry.category === 'string' ? entry.category.toUpperCase() : '',
      status: typeof entry.status === 'string' ? entry.status.toUpperCase() : '',
      components: Array.isArray(entry.components) ? entry.components.flatMap((c) => (asRecord(c) ? [c as Record<string, unknown>] : [])) : [],
    };
    const createdAtMs = readTime(entry.created_at ?? entry.createdAt ?? entry.created_time);
    if (createdAtMs !== undefined) template.createdAtMs = createdAtMs;
    templates.push(template);
  }
  return templates;
}
