import { readFile } from 'node:fs/promises';
import { createSandbox, type Sandbox } from './create-sandbox.ts';
import { parseSandboxConfig } from './sandbox-config.ts';

/** Options of {@link runSandboxFromCli}. */
export interface RunSandboxOptions {
  port: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** JSON configuration file; defaults apply without one. */
  configFile?: string;
  /** Where the start-up line goes (the CLI passes its logger or `console.log`). */
  log: (line: string) => void;
}

/**
 * Starts a sandbox for the `litecast sandbox` command: reads and validates the JSON config file
 * (errors name the file and every invalid field), listens, and prints the URL. The caller owns
 * the process (signals, exit) and closes the returned sandbox.
 */
export async function runSandboxFromCli(options: RunSandboxOptions): Promise<Sandbox> {
  let config: unknown = {};
  if (options.configFile !== undefined) {
    let text: string;
    try {
      text = await readFile(options.configFile, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read sandbox config file ${options.configFile}: ${(error as Error).message}`, { cause: error });
    }
    try {
      config = JSON.parse(text);
    } catch (error) {
      throw new Error(`Sandbox config file ${options.configFile} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    try {
      config = parseSandboxConfig(config);
    } catch (error) {
      throw new Error(`${options.configFile}: ${(error as Error).message}`, { cause: error });
    }
  }
  const sandbox = await createSandbox({ port: options.port, config, ...(options.host === undefined ? {} : { host: options.host }) });
  options.log(`sandbox listening on ${sandbox.url}`);
  return sandbox;
}
