import { createHash } from 'node:crypto';
import type { ListedTemplate } from './control-routes.ts';
import type { SandboxTemplate } from './sandbox-config.ts';

/** A stable numeric template id, so listings and status webhooks agree without storing one. */
export function templateIdFor(template: Pick<SandboxTemplate, 'name' | 'language'>): string {
  const hex = createHash('sha256').update(`template:${template.name}:${template.language}`).digest('hex').slice(0, 13);
  return BigInt(`0x${hex}`).toString().padStart(16, '1').slice(0, 16);
}

/** A BODY component with `count` numbered placeholders, for templates configured without components. */
function defaultComponents(template: SandboxTemplate): Array<Record<string, unknown>> {
  const count = template.bodyParams ?? 0;
  const placeholders = Array.from({ length: count }, (_, index) => `{{${index + 1}}}`).join(', ');
  const body: Record<string, unknown> = { type: 'BODY', text: count === 0 ? `Sandbox template ${template.name}.` : `Hello ${placeholders}!` };
  if (count > 0) body.example = { body_text: [Array.from({ length: count }, (_, index) => `value${index + 1}`)] };
  return [body];
}

/**
 * The configured templates as 360dialog's `GET /v1/configs/templates` lists them: name, language,
 * category, status, components and creation time (source: WEBHOOK_SOURCES.templatesList). Pure.
 */
export function listTemplates(templates: readonly SandboxTemplate[]): ListedTemplate[] {
  return templates.map((template) => ({
    id: templateIdFor(template),
    name: template.name,
    language: template.language,
    category: template.category,
    status: template.status,
    components: template.components ?? defaultComponents(template),
    created_at: template.createdAt,
  }));
}
