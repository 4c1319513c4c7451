// Alertmanager's names for a route and a group, so a webhook receiver sees from stormwatch the
// groupKey it would see from Alertmanager (dispatch/route.go Key(), aggrGroup.GroupKey()): the
// route tree path of matcher sets ("{}" for the root, "{}/{severity=\"critical\"}" for a child),
// then ":" and the group's label set as Prometheus prints it.
// stormwatch's routes are the children of a root route (each with continue: true); without
// routes in the config, the root itself routes everything.

import type { Labels } from '../core/types.js';

/** The key of the route with these equality matchers, a child of the root; undefined: the root. */
export function alertmanagerRouteKey(match: Labels | undefined): string {
  if (match === undefined) return '{}';
  const matchers = Object.keys(match)
    .sort()
    .map((name) => `${name}="${escape(match[name]!)}"`);
  return `{}/{${matchers.join(',')}}`;
}

/** The group key: route key, ":", the group labels sorted as model.LabelSet.String() prints them. */
export function alertmanagerGroupKey(routeKey: string, groupLabels: Labels): string {
  const set = Object.keys(groupLabels)
    .sort()
    .map((name) => `${name}=${JSON.stringify(groupLabels[name])}`);
  return `${routeKey}:{${set.join(', ')}}`;
}

/** OpenMetrics label-value escaping, as Alertmanager's matcher String() writes values. */
function escape(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}
