import { describe, expect, it } from 'vitest';
import { type MaintenanceWindow, windowOpen, windowsMuting } from '../../src/decisions/maintenance-windows.js';
import { parseMatcher } from '../../src/decisions/matchers.js';

// 2026-11-29 is a Sunday.
const at = (iso: string) => Date.parse(iso);
const nightly: MaintenanceWindow = { name: 'db-vacuum', matchers: [parseMatcher('service="crates-io"')], weekly: { weekdays: ['saturday', 'sunday'], startMinute: 23 * 60, durationMs: 2 * 3_600_000 } };
const once: MaintenanceWindow = { name: 'cdn-move', matchers: [parseMatcher('service="crates-io"')], once: { startMs: at('2026-12-01T22:00:00Z'), endMs: at('2026-12-01T23:00:00Z') } };

describe('maintenance windows', () => {
  it.each([
    ['Sunday 23:00 opens (listed day)', '2026-11-29T23:00:00Z', true],
    ['Sunday 22:59 not yet', '2026-11-29T22:59:59Z', false],
    ['Monday 00:30: the Sunday window runs past midnight', '2026-11-30T00:30:00Z', true],
    ['Monday 01:00: the Sunday window has closed (end exclusive)', '2026-11-30T01:00:00Z', false],
    ['Monday 23:30: Monday is not listed', '2026-11-30T23:30:00Z', false],
    ['Saturday 23:30', '2026-11-28T23:30:00Z', true],
  ])('weekly: %s', (_, iso, open) => {
    expect(windowOpen(nightly, at(iso))).toBe(open);
  });

  it.each([
    ['at its start', '2026-12-01T22:00:00Z', true],
    ['inside', '2026-12-01T22:59:59Z', true],
    ['at its end', '2026-12-01T23:00:00Z', false],
    ['before', '2026-12-01T21:59:59Z', false],
  ])('one-off: %s', (_, iso, open) => {
    expect(windowOpen(once, at(iso))).toBe(open);
  });

  it('a window longer than a day covers the days after its opening', () => {
    const w: MaintenanceWindow = { name: 'freeze', matchers: [], weekly: { weekdays: ['friday'], startMinute: 18 * 60, durationMs: 60 * 3_600_000 } };
    expect(windowOpen(w, at('2026-11-29T12:00:00Z'))).toBe(true); // Sunday noon, 42 h after Friday 18:00
    expect(windowOpen(w, at('2026-11-30T06:00:00Z'))).toBe(false); // Monday 06:00, 60 h after
  });

  it("reads a weekly window on its zone's clocks: the same local hours in summer and in winter", () => {
    // Sundays 02:00-04:00 in Berlin: 00:00-02:00 UTC in summer (CEST), 01:00-03:00 in winter (CET).
    const berlin: MaintenanceWindow = { name: 'backup', matchers: [], weekly: { weekdays: ['sunday'], startMinute: 2 * 60, durationMs: 2 * 3_600_000, timeZone: 'Europe/Berlin' } };
    expect(windowOpen(berlin, at('2026-07-05T00:00:00Z'))).toBe(true);
    expect(windowOpen(berlin, at('2026-07-05T02:00:00Z'))).toBe(false);
    expect(windowOpen(berlin, at('2026-11-29T00:59:59Z'))).toBe(false);
    expect(windowOpen(berlin, at('2026-11-29T01:00:00Z'))).toBe(true);
    expect(windowOpen(berlin, at('2026-11-29T02:59:59Z'))).toBe(true);
    expect(windowOpen(berlin, at('2026-11-29T03:00:00Z'))).toBe(false);
    // Saturday 23:00 UTC is Sunday 00:00 in Berlin, but before the window's 02:00 there.
    expect(windowOpen(berlin, at('2026-11-28T23:30:00Z'))).toBe(false);
    // Its weekday is Berlin's: Friday 18:00 in New York is Friday 23:00 UTC, Saturday in Berlin.
    const friday: MaintenanceWindow = { name: 'deploy-freeze', matchers: [], weekly: { weekdays: ['friday'], startMinute: 18 * 60, durationMs: 3_600_000, timeZone: 'America/New_York' } };
    expect(windowOpen(friday, at('2026-11-27T23:30:00Z'))).toBe(true);
    expect(windowOpen({ ...friday, weekly: { ...friday.weekly!, timeZone: undefined } }, at('2026-11-27T23:30:00Z'))).toBe(false);
  });

  it('mutes only alerts its matchers select, only while open', () => {
    const open = at('2026-12-01T22:30:00Z');
    expect(windowsMuting({ service: 'crates-io' }, [nightly, once], open).map((w) => w.name)).toEqual(['cdn-move']);
    expect(windowsMuting({ service: 'docs' }, [nightly, once], open)).toEqual([]);
  });
});
