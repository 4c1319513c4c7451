import { describe, expect, it } from 'vitest';
import { type Silence, expireSilence, retainSilences, silenceProblems, silenceState, silencesMuting } from '../../src/decisions/silences.js';

const T = Date.parse('2026-11-29T03:00:00Z');
const silence = (over: Partial<Silence> = {}): Silence => ({ id: 's1', matchers: ['service="crates-io"'], startsAtMs: T, endsAtMs: T + 3_600_000, createdBy: 'ana', comment: 'CHG-1', updatedAtMs: T, ...over });

describe('silences', () => {
  it.each([
    ['before its start: pending', T - 1, 'pending'],
    ['at its start: active', T, 'active'],
    ['just before its end: active', T + 3_599_999, 'active'],
    ['at its end: expired (the end is exclusive, as in Alertmanager)', T + 3_600_000, 'expired'],
  ])('%s', (_, now, state) => {
    expect(silenceState(silence(), now)).toBe(state);
  });

  it('mutes only alerts whose labels match every matcher, and only while active', () => {
    const s = [silence({ id: 'a', matchers: ['service="crates-io"', 'alertname=~"Stormwatch(RetryStorm|Outage)"'] })];
    expect(silencesMuting({ service: 'crates-io', alertname: 'StormwatchRetryStorm' }, s, T + 1).map((x) => x.id)).toEqual(['a']);
    expect(silencesMuting({ service: 'crates-io', alertname: 'StormwatchDeployRegression' }, s, T + 1)).toEqual([]);
    expect(silencesMuting({ service: 'docs', alertname: 'StormwatchRetryStorm' }, s, T + 1)).toEqual([]);
    expect(silencesMuting({ service: 'crates-io', alertname: 'StormwatchRetryStorm' }, s, T + 3_600_000)).toEqual([]);
  });

  it('refuses a bad request with every problem named', () => {
    expect(silenceProblems({ matchers: ['team!="db"', 'oops'], startsAtMs: T + 1000, endsAtMs: T + 1000, createdBy: ' ', comment: '' }, T)).toEqual([
      'matchers[1]: expected a matcher like severity="critical", team!="db" or service=~"api|web", got "oops"',
      'endsAt: must be after startsAt',
      'createdBy: must not be empty',
      'comment: must not be empty (say why: a ticket, a change)',
    ]);
  });

  it('refuses a silence that would mute every alert (all matchers match the empty label)', () => {
    expect(silenceProblems({ matchers: ['team!="db"', 'service=~".*"'], startsAtMs: T, endsAtMs: T + 1000, createdBy: 'a', comment: 'c' }, T)).toEqual([
      'matchers: at least one matcher must not match an empty label (this silence would mute every alert)',
    ]);
    expect(silenceProblems({ matchers: [], startsAtMs: T, endsAtMs: T + 1000, createdBy: 'a', comment: 'c' }, T)).toEqual(['matchers: expected at least one matcher like service="crates"']);
  });

  it('refuses an end already past, also when it is before a start left to now', () => {
    expect(silenceProblems({ matchers: ['a="b"'], startsAtMs: T - 2000, endsAtMs: T - 1000, createdBy: 'a', comment: 'c' }, T)).toEqual(['endsAt: already in the past']);
    expect(silenceProblems({ matchers: ['a="b"'], startsAtMs: T, endsAtMs: T - 1000, createdBy: 'a', comment: 'c' }, T)).toEqual(['endsAt: already in the past']);
  });

  it('refuses times past the year 9999, which RFC 3339 cannot write (the API served them as +013434-... or failed)', () => {
    expect(silenceProblems({ matchers: ['a="b"'], startsAtMs: T, endsAtMs: T + 3.6e18, createdBy: 'a', comment: 'c' }, T)).toEqual([
      'endsAt: past 9999-12-31T23:59:59Z, the last time RFC 3339 can write (a duration that long?)',
    ]);
    expect(silenceProblems({ matchers: ['a="b"'], startsAtMs: Date.UTC(9999, 11, 31), endsAtMs: Date.UTC(9999, 11, 31, 12), createdBy: 'a', comment: 'c' }, T)).toEqual([]);
  });

  it('expires an active silence now, a pending one at its start, and leaves an expired one alone', () => {
    expect(expireSilence(silence(), T + 60_000)).toMatchObject({ startsAtMs: T, endsAtMs: T + 60_000, updatedAtMs: T + 60_000 });
    const pending = expireSilence(silence({ startsAtMs: T + 600_000, endsAtMs: T + 900_000 }), T);
    expect(silenceState(pending, T)).toBe('expired');
    const done = silence({ endsAtMs: T + 10 });
    expect(expireSilence(done, T + 20)).toBe(done);
  });

  it('keeps expired silences for the retention after their end, then drops them', () => {
    const s = [silence({ id: 'old', endsAtMs: T - 10_000 }), silence({ id: 'recent', endsAtMs: T - 1000 })];
    expect(retainSilences(s, T, 5000).map((x) => x.id)).toEqual(['recent']);
  });
});
