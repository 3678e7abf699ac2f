/**
 * Template preflight (issue 16 item 7): before a campaign is created, compare the template it names
 * with the channel's listed templates. Pure: the listing and the clock are passed in.
 */
import type { ChannelTemplate } from './channel-templates.ts';

/** The campaign's template as litecast stores it (components with their parameters). */
export type CampaignTemplateRef = {
  name: string;
  language: string;
  components?: ReadonlyArray<{ type: string; [field: string]: unknown }>;
};

/** `error`: refuse the campaign, naming the problem; `warning`: create it but say why it may fail. */
export type TemplateCheck =
  | { ok: true; warnings: string[] }
  | { ok: false; problem: 'missing-template' | 'missing-language' | 'not-approved' | 'not-marketing' | 'parameter-count'; error: string };

/** New or long-dormant templates need about this long to sync to MM (whatsapp-api.md §1.3). */
export const TEMPLATE_SYNC_MS = 10 * 60_000;

const PLACEHOLDER = /\{\{\s*[A-Za-z0-9_]+\s*\}\}/g;
const countPlaceholders = (text: unknown) => (typeof text === 'string' ? (text.match(PLACEHOLDER) ?? []).length : 0);
const lower = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : '');
const parametersOf = (component: Record<string, unknown> | undefined) => (Array.isArray(component?.parameters) ? component.parameters.length : 0);

/** Placeholders the listed template expects per slot: `body`, `header`, `button:<index>` (URL buttons). */
function expectedSlots(template: ChannelTemplate): Map<string, number> {
  const slots = new Map<string, number>();
  for (const component of template.components) {
    const type = lower(component.type);
    if (type === 'body' || type === 'header') {
      const count = countPlaceholders(component.text);
      if (count > 0) slots.set(type, count);
    }
    if (type === 'buttons' && Array.isArray(component.buttons)) {
      component.buttons.forEach((button, index) => {
        const count = countPlaceholders((button as Record<string, unknown> | null)?.url);
        if (count > 0) slots.set(`button:${index}`, count);
      });
    }
  }
  return slots;
}

/** Parameters the campaign gives per slot. */
function givenSlots(components: CampaignTemplateRef['components']): Map<string, number> {
  const slots = new Map<string, number>();
  for (const component of components ?? []) {
    const type = lower(component.type);
    const count = parametersOf(component);
    if (type === 'body' || type === 'header') slots.set(type, (slots.get(type) ?? 0) + count);
    else if (type === 'button') slots.set(`button:${Number(component.index ?? 0)}`, count);
  }
  return slots;
}

/**
 * Checks `campaign` against the channel's `templates` for `route` (`lite` = MM, which takes
 * MARKETING templates only). Returns the first problem as a sentence naming template and language,
 * or `ok` with warnings (created less than 10 minutes ago: MM may refuse or lose tracking).
 */
export function checkTemplate(
  templates: readonly ChannelTemplate[],
  campaign: CampaignTemplateRef,
  route: 'lite' | 'cloud',
  now: number = Date.now(),
): TemplateCheck {
  const named = templates.filter((template) => template.name === campaign.name);
  const label = `template "${campaign.name}" (${campaign.language})`;
  if (named.length === 0) return { ok: false, problem: 'missing-template', error: `${label} does not exist on this channel` };
  const template = named.find((candidate) => candidate.language === campaign.language);
  if (template === undefined) {
    const languages = named.map((candidate) => candidate.language).join(', ');
    return { ok: false, problem: 'missing-language', error: `${label} does not exist in language ${campaign.language}; it exists in: ${languages}` };
  }
  if (template.status !== 'APPROVED') return { ok: false, problem: 'not-approved', error: `${label} is ${template.status || 'of unknown status'}, not APPROVED` };
  if (route === 'lite' && template.category !== 'MARKETING') {
    return { ok: false, problem: 'not-marketing', error: `${label} is ${template.category || 'of unknown category'}; MM Lite sends MARKETING templates only` };
  }
  const expected = expectedSlots(template);
  const given = givenSlots(campaign.components);
  for (const slot of new Set([...expected.keys(), ...given.keys()])) {
    const want = expected.get(slot) ?? 0;
    const have = given.get(slot) ?? 0;
    if (want !== have) {
      return { ok: false, problem: 'parameter-count', error: `${label} expects ${want} parameter(s) in ${slot}, the campaign gives ${have}` };
    }
  }
  const warnings: string[] = [];
  if (template.createdAtMs !== undefined && now - template.createdAtMs < TEMPLATE_SYNC_MS) {
    const minutes = Math.max(0, Math.floor((now - template.createdAtMs) / 60_000));
    warnings.push(`${label} was created ${minutes} minute(s) ago; MM Lite may refuse it or lose click tracking until about 10 minutes have passed`);
  }
  return { ok: true, warnings };
}
