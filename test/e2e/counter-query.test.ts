// The restart-aware PromQL a counter selector becomes, checked by Prometheus's own parser (promtool)
// and evaluated by a real Prometheus over a pod restart.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterQuery } from '../../src/source/counter-query.js';
import { type RunningPrometheus, startPrometheus } from '../helpers/prometheus.js';

const T0 = Date.parse('2023-07-20T10:00:00Z');

describe('restart-aware counter queries', () => {
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    // Three pods serving 10/s each, 15 s scrapes; pod b restarts at 10:10:05; load doubles at 10:20.
    const lines: string[] = ['# TYPE req counter'];
    const counts = { a: 0, b: 0, c: 0 };
    for (let t = 0; t <= 1800; t += 15) {
      const rate = t >= 1200 ? 20 : 10;
      for (const pod of ['a', 'b', 'c'] as const) {
        counts[pod] += 15 * rate;
        if (pod === 'b' && t === 615) counts.b = 10 * rate; // restarted 10 s ago
        lines.push(`req_total{pod="${pod}"} ${counts[pod]} ${(T0 + t * 1000) / 1000}`);
      }
    }
    lines.push('# EOF');
    const file = join(mkdtempSync(join(tmpdir(), 'stormwatch-cq-')), 'restart.om');
    writeFileSync(file, `${lines.join('\n')}\n`);
    prometheus = await startPrometheus({ backfill: file });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  it('is valid PromQL for promtool, with and without grouping', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stormwatch-cq-'));
    const rules = join(dir, 'rules.yml');
    const exprs = [counterQuery('req_total{pod!=""}', 'irate', 60_000, 15_000), counterQuery('req_total', 'rate', 120_000, 15_000, ['route', 'service'])];
    writeFileSync(rules, `groups:\n  - name: q\n    rules:\n${exprs.map((e, i) => `      - record: q${i}\n        expr: '${e.replace(/'/g, "''")}'\n`).join('')}`);
    expect(execFileSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' })).toContain('SUCCESS');
  });

  async function at(query: string, iso: string): Promise<number> {
    const url = `${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}&time=${Date.parse(iso) / 1000}`;
    const body = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? Number.NaN);
  }

  it('reads the restarted pod at its rate before the restart, where irate undercounts', async () => {
    const smart = counterQuery('req_total', 'irate', 60_000, 15_000);
    expect(await at(smart, '2023-07-20T10:10:15Z')).toBeCloseTo(30, 6);
    expect(await at('sum(irate(req_total[60s]))', '2023-07-20T10:10:15Z')).toBeLessThan(27);
    // Away from restarts it is plain sum(irate()), and it follows a change of load at once.
    expect(await at(smart, '2023-07-20T10:05:00Z')).toBeCloseTo(30, 6);
    expect(await at(smart, '2023-07-20T10:20:15Z')).toBeCloseTo(60, 6);
  });
});
