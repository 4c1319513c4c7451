import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SILENCE_RETENTION_MS, SilenceConflictError, SilenceRequestError, SilenceStore } from '../../src/runner/silence-store.js';

const T = Date.parse('2026-11-29T03:00:00Z');
const fileIn = () => join(mkdtempSync(join(tmpdir(), 'stormwatch-silences-')), 'silences.json');
const request = { matchers: ['service="crates-io"'], startsAtMs: T, endsAtMs: T + 3_600_000, createdBy: 'ana', comment: 'CHG-1' };

describe('SilenceStore', () => {
  it('keeps silences across a restart, expired ones included until the retention passes', () => {
    const file = fileIn();
    const { store } = SilenceStore.open(file, T);
    const a = store.add(request, T).silence;
    const b = store.add({ ...request, comment: 'CHG-2' }, T + 1).silence;
    store.expire(a.id, T + 2);
    const reopened = SilenceStore.open(file, T + 10).store.list();
    expect(reopened.map((s) => [s.id, s.endsAtMs])).toEqual([
      [a.id, T + 2],
      [b.id, T + 3_600_000],
    ]);
    expect(SilenceStore.open(file, T + 2 + SILENCE_RETENTION_MS).store.list().map((s) => s.id)).toEqual([b.id]);
  });

  it('refuses an invalid silence with its problems and writes nothing', () => {
    const file = fileIn();
    const { store } = SilenceStore.open(file, T);
    expect(() => store.add({ ...request, comment: '' }, T)).toThrow(SilenceRequestError);
    expect(existsSync(file)).toBe(false);
  });

  it('a client-chosen id is idempotent: the same silence again is the one kept, another under that id a conflict', () => {
    const { store } = SilenceStore.open(fileIn(), T);
    expect(store.add(request, T, 'change-1234')).toMatchObject({ created: true, silence: { id: 'change-1234' } });
    expect(store.add(request, T + 5000, 'change-1234')).toMatchObject({ created: false, silence: { id: 'change-1234', updatedAtMs: T } });
    expect(() => store.add({ ...request, comment: 'other' }, T, 'change-1234')).toThrow(SilenceConflictError);
    expect(store.list()).toHaveLength(1);
  });

  it('expiring an unknown id answers undefined', () => {
    expect(SilenceStore.open(fileIn(), T).store.expire('nope', T)).toBeUndefined();
  });

  it('moves a corrupt file aside and starts empty, saying why', () => {
    const file = fileIn();
    writeFileSync(file, '{"version":1,"silences":[{"id":1}]}');
    const { store, problem } = SilenceStore.open(file, T);
    expect(store.list()).toEqual([]);
    expect(problem).toMatch(/silences\.json moved to .*silences\.json\.bad/);
    expect(readFileSync(`${file}.bad`, 'utf8')).toContain('"id":1');
  });
});
