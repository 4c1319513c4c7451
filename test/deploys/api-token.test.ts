// deploys.apiToken as it stands now: an inline or {env:} token as given, a {file:} token read again
// each time, the new value told to the logger (which blanks it) and the last good one kept.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { announceNewCredentials } from '../../src/core/http-auth.js';
import { currentApiToken } from '../../src/deploys/api-token.js';

afterEach(() => announceNewCredentials(undefined));

function configWith(apiToken: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'stormwatch-api-token-'));
  const file = join(dir, 'stormwatch.yaml');
  writeFileSync(file, `interval: 15s\nsource:\n  scrape:\n    url: http://127.0.0.1:9/metrics\ndeploys:\n  apiToken: ${apiToken}\nsignals:\n  - name: a\n    requests: a_total\n`);
  return { dir, file };
}

describe('currentApiToken', () => {
  it('reads a {file:} token (relative to the config) again each time, tells the logger a new one, keeps the last good one', () => {
    const { dir, file } = configWith('{file: secrets/token}');
    const tokenFile = join(dir, 'secrets', 'token');
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(tokenFile, 'first-token-1\n');
    const deploys = loadConfig(file).deploys!;
    expect(deploys.apiTokenFile).toBe(tokenFile);
    const announced: string[][] = [];
    announceNewCredentials((values) => announced.push(values));
    expect(currentApiToken(deploys)).toBe('first-token-1');
    writeFileSync(tokenFile, 'second-token-2\n');
    expect(currentApiToken(deploys)).toBe('second-token-2');
    expect(announced).toEqual([['second-token-2']]);
    rmSync(tokenFile);
    expect(currentApiToken(deploys)).toBe('second-token-2');
  });

  it('answers an inline token as given, and undefined without one', () => {
    const { file } = configWith('inline-token-3');
    const deploys = loadConfig(file).deploys!;
    expect(deploys.apiTokenFile).toBeUndefined();
    expect(currentApiToken(deploys)).toBe('inline-token-3');
    expect(currentApiToken(undefined)).toBeUndefined();
  });
});
