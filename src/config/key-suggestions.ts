// "Did you mean" for unknown keys: the keys the schema allows at the same place, nearest by
// edit distance (optimal string alignment: a swap of two letters counts as one edit, since
// `lables` for `labels` is the usual slip). Pure.

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[] };

/** The keys an object at `path` may have, per the JSON Schema (every branch of a union). */
export function knownKeysAt(schema: JsonSchema, path: readonly PropertyKey[]): string[] {
  let nodes: JsonSchema[] = [schema];
  const expand = (list: JsonSchema[]): JsonSchema[] => list.flatMap((n) => [n, ...expand([...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])])]);
  for (const part of path) {
    nodes = expand(nodes).flatMap((n) => {
      if (typeof part === 'number') return n.items ? [n.items] : [];
      const child = n.properties?.[String(part)];
      return child ? [child] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

/** Optimal string alignment distance between a and b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * Prometheus's HTTP client keys (as written in its own configuration) whose stormwatch key is not
 * their camelCase: a credential's `_file` is `{file: PATH}` given to the key itself.
 */
const PROMETHEUS_KEYS: Readonly<Record<string, string>> = {
  tls_config: 'tls',
  bearer_token_file: 'bearerToken',
  password_file: 'password',
  client_secret_file: 'clientSecret',
  authorization: 'bearerToken',
  // A scrape config's boolean; here the encoding asked for (auto, none or gzip).
  enable_compression: 'compression',
};

/**
 * The nearest known key, if near enough to be a slip (at most 2 edits, and under half the word),
 * or the one a key of Prometheus's own configuration is here (`tls_config` → `tls`, `ca_file` → `caFile`).
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const camel = unknown.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  if (camel !== unknown && known.includes(camel)) return camel;
  const prometheus = PROMETHEUS_KEYS[unknown];
  if (prometheus !== undefined && known.includes(prometheus)) return prometheus;
  let best: { key: string; distance: number } | undefined;
  for (const key of known) {
    const distance = editDistance(unknown.toLowerCase(), key.toLowerCase());
    if (!best || distance < best.distance) best = { key, distance };
  }
  return best && best.distance <= 2 && best.distance < unknown.length / 2 ? best.key : undefined;
}
