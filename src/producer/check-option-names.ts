/**
 * Refuses option names litecast does not know (a misspelt `ttl` or `componets` was silently
 * ignored), naming the field and the option most likely meant.
 */
import { LitecastError } from '../shared/errors.ts';

/** Levenshtein distance, case- and separator-insensitive (`batch_size` is one step from `batchSize`). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase().replace(/[_-]/g, '');
  const y = b.toLowerCase().replace(/[_-]/g, '');
  let previous = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The known name closest to `name`, when it is close enough (or a prefix of it, as `ttl` of `ttlSeconds`). */
export function likelyMeant(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase().replace(/[_-]/g, '');
  const prefixed = known.find((k) => lower.length >= 3 && k.toLowerCase().startsWith(lower));
  if (prefixed) return prefixed;
  const best = known.map((k) => ({ k, d: distance(name, k) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? best.k : undefined;
}

/**
 * Throws LITECAST_ERR_VALIDATION listing every key of `given` not in `known`.
 * @param where how the field is named in the message, e.g. "template." or "query parameter "
 */
export function checkOptionNames(given: Record<string, unknown>, known: readonly string[], where = ''): void {
  const problems = Object.keys(given)
    .filter((key) => !known.includes(key))
    .map((key) => {
      const meant = likelyMeant(key, known);
      return `${where}${key}: unknown option${meant ? `; did you mean "${meant}"?` : `; known: ${known.join(', ')}`}`;
    });
  if (problems.length > 0) throw new LitecastError('LITECAST_ERR_VALIDATION', `Invalid campaign: ${problems.join('; ')}`, { problems });
}
