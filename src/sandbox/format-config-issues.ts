import type { z } from 'zod';

/**
 * Formats every zod issue as one line `- path: message`, so a bad config file is fixed in one
 * pass instead of one error per run.
 */
export function formatConfigIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      return `- ${path}: ${issue.message}`;
    })
    .join('\n');
}
