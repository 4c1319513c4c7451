// Cases follow Alertmanager's inhibit/inhibit_test.go (TestInhibitRuleHasEqual, TestInhibitRuleMatches).
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/decisions/fingerprint.js';
import { type InhibitRule, inhibitedBy } from '../../src/decisions/inhibition.js';
import { parseMatcher } from '../../src/decisions/matchers.js';
import type { Labels } from '../../src/core/types.js';
import { DEFAULT_INHIBIT_RULES } from '../../src/config/mute-schema.js';

const alert = (labels: Labels) => ({ labels, fingerprint: fingerprint(labels) });
const rule = (source: string[], target: string[], equal: string[]): InhibitRule => ({ sourceMatchers: source.map(parseMatcher), targetMatchers: target.map(parseMatcher), equal });
const defaults = DEFAULT_INHIBIT_RULES.map((r) => rule(r.sourceMatchers, r.targetMatchers, r.equal));

const regression = alert({ alertname: 'StormwatchDeployRegression', service: 'crates-io', version: '1.102.0', severity: 'critical' });
const storm = alert({ alertname: 'StormwatchRetryStorm', service: 'crates-io', signal: 'crate-downloads', severity: 'critical' });

describe('inhibition', () => {
  it('default: a failed deploy inhibits the incident alerts of the same service', () => {
    expect(inhibitedBy(storm, [regression], defaults)).toBe(regression);
  });

  it('default: another service, or a signal without a service label, is not inhibited', () => {
    expect(inhibitedBy(alert({ ...storm.labels, service: 'docs' }), [regression], defaults)).toBeUndefined();
    const { service: _s, ...noService } = storm.labels;
    expect(inhibitedBy(alert(noService), [regression], defaults)).toBeUndefined();
  });

  it('default: the deploy alert itself and the organic-surge info alert are never targets', () => {
    expect(inhibitedBy(regression, [storm, regression], defaults)).toBeUndefined();
    expect(inhibitedBy(alert({ ...storm.labels, alertname: 'StormwatchOrganicSurge' }), [regression], defaults)).toBeUndefined();
  });

  it('equal: both labels missing counts as equal', () => {
    const r = [rule(['alertname="A"'], ['alertname="B"'], ['zone'])];
    expect(inhibitedBy(alert({ alertname: 'B' }), [alert({ alertname: 'A' })], r)).toBeDefined();
    expect(inhibitedBy(alert({ alertname: 'B' }), [alert({ alertname: 'A', zone: 'x' })], r)).toBeUndefined();
  });

  it('an alert matching both sides is not inhibited by another that also matches both, nor by itself', () => {
    const r = [rule(['severity="critical"'], ['severity=~"critical|warning"'], ['service'])];
    const a = alert({ alertname: 'X', severity: 'critical', service: 's' });
    const b = alert({ alertname: 'Y', severity: 'critical', service: 's' });
    expect(inhibitedBy(a, [a, b], r)).toBeUndefined();
    const warning = alert({ alertname: 'Z', severity: 'warning', service: 's' });
    expect(inhibitedBy(warning, [a], r)).toBe(a);
  });

  it('no firing source: nothing is inhibited', () => {
    expect(inhibitedBy(storm, [], defaults)).toBeUndefined();
  });
});
