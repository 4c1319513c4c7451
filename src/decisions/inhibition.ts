// Inhibition with Alertmanager's semantics (inhibit/inhibit.go): a target alert is muted while a
// firing source alert matches the rule's source matchers and carries the same values of every
// `equal` label (both missing counts as equal). An alert that matches both sides is not inhibited
// by an alert that also does (it cannot inhibit itself). Pure.

import type { Labels } from '../core/types.js';
import { type Matcher, matchesAll } from './matchers.js';

export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
}

export interface FiringLabels {
  labels: Labels;
  fingerprint: string;
}

/** The firing alert inhibiting `target`, or undefined. */
export function inhibitedBy(target: FiringLabels, firing: Iterable<FiringLabels>, rules: readonly InhibitRule[]): FiringLabels | undefined {
  for (const rule of rules) {
    if (!matchesAll(rule.targetMatchers, target.labels)) continue;
    const twoSided = matchesAll(rule.sourceMatchers, target.labels);
    for (const source of firing) {
      if (source.fingerprint === target.fingerprint) continue;
      if (!matchesAll(rule.sourceMatchers, source.labels)) continue;
      if (twoSided && matchesAll(rule.targetMatchers, source.labels)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (target.labels[name] ?? ''))) return source;
    }
  }
  return undefined;
}
