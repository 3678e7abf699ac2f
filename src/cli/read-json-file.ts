import { readFile } from 'node:fs/promises';
import { LitecastError } from '../shared/errors.ts';

/** Reads and parses a JSON file named by a CLI option; errors name the option and the file. */
export async function readJsonFile(path: string, option: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LitecastError('LITECAST_ERR_FILE_NOT_FOUND', `${option}: cannot read "${path}" (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new LitecastError('LITECAST_ERR_INVALID_OPTION', `${option}: "${path}" is not valid JSON (${(error as Error).message}).`);
  }
}
