/** `runSandboxFromCli`: config file handling and the start-up line. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSandboxFromCli } from '../../src/sandbox/index.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'litecast-sandbox-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runSandboxFromCli', () => {
  it('starts with a config file and prints where it listens', async () => {
    const file = join(dir, 'ok.json');
    await writeFile(file, JSON.stringify({ channels: [{ apiKey: 'cli-key', phoneNumberId: '123456789012345' }] }));
    const lines: string[] = [];
    const sandbox = await runSandboxFromCli({ port: 0, configFile: file, log: (line) => lines.push(line) });
    try {
      expect(lines).toEqual([`sandbox listening on http://127.0.0.1:${sandbox.port}`]);
      const answer = await fetch(`${sandbox.url}/v1/configs/webhook`, { headers: { 'D360-API-KEY': 'cli-key' } });
      expect(answer.status).toBe(200);
      expect(sandbox.config.channels[0]?.phoneNumberId).toBe('123456789012345');
    } finally {
      await sandbox.close();
    }
  });

  it('names the file and every invalid field', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ channels: [{ mps: -1 }], webhook: { readRate: 2 }, enforceMps: 'yes' }));
    const run = runSandboxFromCli({ port: 0, configFile: file, log: () => {} });
    await expect(run).rejects.toThrow(file);
    await expect(run).rejects.toThrow(/channels\.0\.apiKey[\s\S]*channels\.0\.mps[\s\S]*webhook\.readRate|enforceMps/);
    const message = await run.catch((error: Error) => error.message);
    for (const path of ['channels.0.apiKey', 'channels.0.mps', 'webhook.readRate', 'enforceMps']) expect(message).toContain(path);
  });

  it('names a file that is missing or not JSON', async () => {
    const missing = join(dir, 'missing.json');
    await expect(runSandboxFromCli({ port: 0, configFile: missing, log: () => {} })).rejects.toThrow(`Cannot read sandbox config file ${missing}`);
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{ "channels": ');
    await expect(runSandboxFromCli({ port: 0, configFile: broken, log: () => {} })).rejects.toThrow(`${broken} is not valid JSON`);
  });
});
