/**
 * Template preflight at campaign creation: the channel's templates are listed from 360dialog
 * (`GET /v1/configs/templates`, cached per channel, transient failures retried) and the campaign's
 * template checked against them (check-template.ts), so a campaign on a missing, unapproved or
 * non-marketing template, or with the wrong number of parameters, is refused before it sends a
 * million failures. `skipTemplateCheck` (CLI `--skip-template-check`) is for offline use.
 */
import { checkTemplate, type TemplateCheck } from '../dialog360/check-template.ts';
import { createDialogClient } from '../dialog360/client.ts';
import { withManagementRetries } from '../dialog360/retry-management-call.ts';
import { createTemplateCache, type TemplateCache } from '../dialog360/template-cache.ts';
import type { CampaignSpec } from '../shared/campaign.ts';
import type { ChannelStore } from '../shared/channel-store.ts';
import { LitecastError } from '../shared/errors.ts';

/** The campaign option each problem is about, named in the error. */
const FIELD_OF: Record<Extract<TemplateCheck, { ok: false }>['problem'], string> = {
  'missing-template': 'template.name',
  'missing-language': 'template.language',
  'not-approved': 'template.name',
  'not-marketing': 'template.name',
  'parameter-count': 'template.components',
};

export type TemplatePreflight = {
  /** Throws LITECAST_ERR_VALIDATION naming the field; returns warnings (a template under 10 minutes old). */
  check(spec: Pick<CampaignSpec, 'channelId' | 'template' | 'route'>): Promise<string[]>;
  close(): void;
};

/** Creates a preflight with its own per-channel template cache. */
export function createTemplatePreflight(deps: { channels: Pick<ChannelStore, 'loadWithKey'>; timeoutMs: number; cache?: TemplateCache }): TemplatePreflight {
  const cache = deps.cache ?? createTemplateCache();
  return {
    async check(spec) {
      const channel = await deps.channels.loadWithKey(spec.channelId);
      const client = createDialogClient({ baseUrl: channel.baseUrl, apiKey: channel.apiKey, timeoutMs: deps.timeoutMs });
      let templates;
      try {
        templates = await cache.get(spec.channelId, withManagementRetries(client));
      } catch (error) {
        throw new LitecastError(
          'LITECAST_ERR_UPSTREAM',
          `Could not list the templates of channel "${spec.channelId}" to check the campaign's template: ${(error as Error).message}. Try again, or create the campaign with skipTemplateCheck (CLI: --skip-template-check) to skip the check.`,
        );
      } finally {
        client.close();
      }
      // A split campaign's MM group must pass the MM rules; a cloud campaign only the Cloud API's.
      const result = checkTemplate(templates, spec.template, spec.route === 'cloud' ? 'cloud' : 'lite');
      if (!result.ok) {
        const field = FIELD_OF[result.problem];
        throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: ${field}: ${result.error} (checked against GET /v1/configs/templates; skipTemplateCheck skips the check).`, { field, problem: result.problem });
      }
      return result.warnings;
    },
    close: () => cache.close(),
  };
}
