import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { notificationFileIn, notificationGroupsText, readNotificationGroups, writeNotificationGroups } from '../../src/runner/notification-file.js';

const groups = {
  'hook/0/abc': [
    {
      key: '{alertname="X"}',
      labels: { alertname: 'X' },
      alerts: [{ status: 'firing' as const, labels: { alertname: 'X' }, annotations: { summary: 's' }, fingerprint: 'f1', startsAtMs: 1, evaluatedAtMs: 2, update: 1 }],
      createdAtMs: 1,
      lastNotifiedAtMs: null,
      lastNotified: '',
      repeats: 0,
    },
  ],
};

describe('notification groups file', () => {
  it('is absent before the first write, and reads back what was written', () => {
    const file = notificationFileIn(mkdtempSync(join(tmpdir(), 'sw-groups-')));
    expect(readNotificationGroups(file)).toEqual({});
    writeNotificationGroups(file, notificationGroupsText(groups));
    expect(readNotificationGroups(file)).toEqual({ groups });
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });

  it('moves a bad file aside, naming the field, and restores nothing', () => {
    const file = notificationFileIn(mkdtempSync(join(tmpdir(), 'sw-groups-')));
    writeFileSync(file, JSON.stringify({ version: 1, targets: { t: [{ ...groups['hook/0/abc'][0], repeats: -1 }] } }));
    const read = readNotificationGroups(file);
    expect(read.groups).toBeUndefined();
    expect(read.problem).toMatch(/moved to .*notifications\.json\.bad: targets\.t\.0\.repeats: /);
    expect(existsSync(file)).toBe(false);
    expect(readFileSync(`${file}.bad`, 'utf8')).toContain('"repeats":-1');
  });
});
