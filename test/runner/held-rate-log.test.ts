import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { HELD_FROM_PAGE, HeldRateLog, QUIET_TICKS } from '../../src/runner/held-rate-log.js';
import type { HeldRate } from '../../src/source/source.js';

function collected() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: new HeldRateLog(createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>))) };
}

const requests: HeldRate = { signal: 'downloads', input: 'requests', rate: 100 };
const downstream: HeldRate = { signal: 'downloads', input: 'downstream', rate: 98.123456 };
const idle: HeldRate = { signal: 'search', input: 'requests', rate: 0 };

describe('HeldRateLog', () => {
  it('says an episode once, a new input once, and its end after quiet ticks, however the held set moves from tick to tick', () => {
    const { lines, log } = collected();
    // 45 ticks of a set that moves every tick, with ticks of nothing held between.
    const sets = [[requests], [requests, idle], [requests], [], [requests, downstream], [downstream], [], [requests, idle]];
    for (let t = 0; t < 45; t++) log.observe(sets[t % sets.length]!);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['warn', "reading the last rates of series missing from Prometheus: their targets' scrapes fail (up == 0), or they left a page still scraped"],
      ['warn', "reading the last rates of series missing from Prometheus: their targets' scrapes fail (up == 0), or they left a page still scraped"],
      ['warn', "reading the last rates of series missing from Prometheus: their targets' scrapes fail (up == 0), or they left a page still scraped"],
    ]);
    expect(lines[0]).toMatchObject({ held: [{ signal: 'downloads', input: 'requests', rate: 100 }] });
    expect(lines[0]!.joined).toBeUndefined();
    expect(lines[1]).toMatchObject({ joined: ['search/requests'] });
    expect(lines[2]).toMatchObject({ joined: ['downloads/downstream'], held: [{ input: 'requests' }, { input: 'downstream', rate: 98.12 }] });
    // Quiet: the end is said after QUIET_TICKS ticks without a held input, once.
    for (let t = 0; t < QUIET_TICKS - 1; t++) log.observe([]);
    expect(lines).toHaveLength(3);
    log.observe([]);
    expect(lines[3]).toMatchObject({ level: 'info', msg: 'no series is read at its last rate any more', inputs: ['downloads/downstream', 'downloads/requests', 'search/requests'] });
    for (let t = 0; t < 20; t++) log.observe([]);
    expect(lines).toHaveLength(4);
    // A new episode is said again, from its first input.
    log.observe([downstream]);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatchObject({ level: 'warn', held: [{ input: 'downstream' }] });
    expect(lines[4]!.joined).toBeUndefined();
  });

  it('names where the series went missing from: a scraped page, for the scrape source', () => {
    const lines: Record<string, unknown>[] = [];
    new HeldRateLog(createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)), HELD_FROM_PAGE).observe([requests]);
    expect(lines.map((l) => l.msg)).toEqual([HELD_FROM_PAGE]);
  });
});
