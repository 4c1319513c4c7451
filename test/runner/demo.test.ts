import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { runDemo } from '../../src/runner/demo.js';

describe('demo', () => {
  it('every link it prints to its own server answers while it serves: the UI and the deploy verdict', { timeout: 60_000 }, async () => {
    let output = '';
    let serving!: () => void;
    const servingNow = new Promise<void>((resolve) => (serving = resolve));
    let stop!: () => void;
    const stopServing = new Promise<void>((resolve) => (stop = resolve));
    const demo = runDemo({
      logger: silentLogger,
      out: (text) => {
        output += text;
        if (text.includes('Serving the UI at')) serving();
      },
      serve: true,
      stopServing,
      reportFile: join(mkdtempSync(join(tmpdir(), 'stormwatch-demo-')), 'report.html'),
    });
    try {
      await Promise.race([servingNow, demo]);
      const origin = /Live UI while it runs: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1]!;
      const links = [...new Set(output.match(new RegExp(`${origin.replace(/\./g, '\\.')}/\\S*`, 'g')))];
      const verdict = links.find((link) => link.includes('/api/v1/deploys/'));
      expect(verdict, output).toBeDefined();
      const answers = await Promise.all(links.map(async (link) => [link, (await fetch(link)).status] as const));
      expect(answers.filter(([, status]) => status === 404 || status >= 500)).toEqual([]);
      // The deploy failed its check: its verdict answers 412 with the record.
      const record = await fetch(verdict!);
      expect(record.status).toBe(412);
      expect(await record.json()).toMatchObject({ service: 'crates-io', version: '1.102.0', verdict: 'fail' });
    } finally {
      stop();
      await demo;
    }
  });
});
