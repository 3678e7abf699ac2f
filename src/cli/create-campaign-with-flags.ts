/**
 * createCampaign for the CLI: option problems are reported under the flag names the user typed
 * (`--ttl`, not `ttlSeconds`) with the usage exit code (64).
 */
import { createCampaign } from '../producer/create-campaign.ts';
import { LitecastError, isLitecastError } from '../shared/errors.ts';

/** Campaign option names as the CLI spells them, for error messages. */
const FLAG_NAMES: ReadonlyArray<[string, string]> = [
  ['ttlSeconds', '--ttl'],
  ['batchSize', '--batch-size'],
  ['startAt', '--start-at'],
  ['template.name', '--template'],
  ['template.language', '--language'],
  ['template.components', '--components'],
  ['channelId', '--channel'],
  ['route', '--route'],
  ['cloudShare', '--cloud-share'],
  ['id', '--id'],
  ['sendWindow', '--send-window'],
  ['priority', '--priority'],
  ['skipTemplateCheck', '--skip-template-check'],
  ['productPolicy', '--product-policy'],
];

/** createCampaign, with invalid option values reported under their flag names (exit code 64). */
export async function createCampaignWithFlags(...args: Parameters<typeof createCampaign>): ReturnType<typeof createCampaign> {
  try {
    return await createCampaign(...args);
  } catch (error) {
    if (isLitecastError(error) && error.code === 'LITECAST_ERR_VALIDATION') {
      let message = error.message.replace(/^Invalid campaign: /, 'Invalid option values: ');
      for (const [field, flag] of FLAG_NAMES) message = message.replaceAll(`${field}:`, `${flag}:`);
      throw new LitecastError('LITECAST_ERR_INVALID_OPTION', message, error.details);
    }
    throw error;
  }
}
