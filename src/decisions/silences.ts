// Silences as Alertmanager keeps them (silence/silence.go): label matchers, a start and an end,
// who made it and why. A silence is pending before its start, active until its end, expired after;
// expiring one early sets its end to now. Pure: time comes in.

import type { Labels } from '../core/types.js';
import { type Matcher, matchesAll, parseMatcher } from './matchers.js';

export interface Silence {
  id: string;
  /** Matchers as written (`service="crates"`): kept as text so a silence saves and loads as JSON. */
  matchers: string[];
  startsAtMs: number;
  endsAtMs: number;
  createdBy: string;
  comment: string;
  /** Last change (creation or expiry). */
  updatedAtMs: number;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, nowMs: number): SilenceState {
  if (nowMs >= s.endsAtMs) return 'expired';
  return nowMs < s.startsAtMs ? 'pending' : 'active';
}

/** Parsed matchers, cached by silence id (a silence's matchers never change after creation). */
const parsedMatchers = new Map<string, Matcher[]>();
function matchersOf(s: Silence): Matcher[] {
  let m = parsedMatchers.get(s.id);
  if (!m) {
    // Bounded: a long-running process sees silences come and go.
    if (parsedMatchers.size >= 10_000) parsedMatchers.clear();
    parsedMatchers.set(s.id, (m = s.matchers.map(parseMatcher)));
  }
  return m;
}

/** The silences active at `nowMs` whose matchers all hold for `labels`. */
export function silencesMuting(labels: Labels, silences: readonly Silence[], nowMs: number): Silence[] {
  return silences.filter((s) => silenceState(s, nowMs) === 'active' && matchesAll(matchersOf(s), labels));
}

export interface SilenceRequest {
  matchers: string[];
  startsAtMs: number;
  endsAtMs: number;
  createdBy: string;
  comment: string;
}

/** The last instant a four-digit year writes: a silence's times are served in RFC 3339. */
const LAST_RFC3339_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Checks a new silence: at least one matcher, all parse, and at least one that does not match the
 * empty string (Alertmanager's rule: a silence must not silence everything by accident); the end
 * not already past, after the start, and both times writable in RFC 3339 (year 9999 at most).
 * Returns `path: problem` lines, empty when it is fine.
 */
export function silenceProblems(req: SilenceRequest, nowMs: number): string[] {
  const problems: string[] = [];
  if (req.matchers.length === 0) problems.push('matchers: expected at least one matcher like service="crates"');
  const parsed: Matcher[] = [];
  req.matchers.forEach((text, i) => {
    try {
      parsed.push(parseMatcher(text));
    } catch (error) {
      problems.push(`matchers[${i}]: ${(error as Error).message}`);
    }
  });
  if (parsed.length === req.matchers.length && parsed.length > 0 && parsed.every((m) => matchesAll([m], {}))) {
    problems.push('matchers: at least one matcher must not match an empty label (this silence would mute every alert)');
  }
  if (!(req.startsAtMs <= LAST_RFC3339_MS)) problems.push('startsAt: past 9999-12-31T23:59:59Z, the last time RFC 3339 can write');
  if (!(req.endsAtMs <= LAST_RFC3339_MS)) problems.push('endsAt: past 9999-12-31T23:59:59Z, the last time RFC 3339 can write (a duration that long?)');
  else if (req.endsAtMs <= nowMs) problems.push('endsAt: already in the past');
  else if (!(req.endsAtMs > req.startsAtMs)) problems.push('endsAt: must be after startsAt');
  if (req.createdBy.trim() === '') problems.push('createdBy: must not be empty');
  if (req.comment.trim() === '') problems.push('comment: must not be empty (say why: a ticket, a change)');
  return problems;
}

/** Expires a silence now; one not yet started gets start = end = now, as Alertmanager does. */
export function expireSilence(s: Silence, nowMs: number): Silence {
  if (silenceState(s, nowMs) === 'expired') return s;
  return { ...s, startsAtMs: Math.min(s.startsAtMs, nowMs), endsAtMs: nowMs, updatedAtMs: nowMs };
}

/** Silences to keep: expired ones are kept `retentionMs` after their end (so `list` shows them), then dropped. */
export function retainSilences(silences: readonly Silence[], nowMs: number, retentionMs: number): Silence[] {
  return silences.filter((s) => nowMs - s.endsAtMs < retentionMs);
}
