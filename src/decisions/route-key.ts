// Alertmanager's names for a route and a group, so a webhook receiver sees from stormwatch the
// groupKey it would see from Alertmanager (dispatch/route.go Key(), aggrGroup.GroupKey()): the
// route tree path of matcher sets ("{}" for the root, "{}/{severity=\"critical\"}" for a child),
// then ":" and the group's label set as Prometheus prints it.
// stormwatch's routes are the children of a root route (each with continue: true); without
// routes in the config, the root itself routes everything.

import type { Labels } from '../core/types.js';
import { type Matcher, matcherString, sortMatchers } from './matchers.js';

/** The key of a child of the root with these matchers (equality `match` plus `matchers`); undefined: the root. */
export function alertmanagerRouteKey(match: Labels | undefined, matchers: readonly Matcher[] = []): string {
  if (match === undefined) return '{}';
  const all = sortMatchers([...Object.entries(match).map(([name, value]) => ({ name, type: '=' as const, value })), ...matchers]);
  return `{}/{${all.map(matcherString).join(',')}}`;
}

/** The group key: route key, ":", the group labels sorted as model.LabelSet.String() prints them. */
export function alertmanagerGroupKey(routeKey: string, groupLabels: Labels): string {
  const set = Object.keys(groupLabels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(groupLabels[name])}`);
  return `${routeKey}:{${set.join(', ')}}`;
}
