// Label regexes as Prometheus 2.42 and Alertmanager read them: RE2's syntax (Go's regexp), fully
// anchored (`^(?:re)$`). JavaScript's RegExp is another dialect and a backtracking one: it refused
// valid PromQL such as `(?i)get` and spent minutes on `(a+)+` against 34 a's and a '!', where RE2
// matches in time linear in the value. re2js is RE2 ported to JavaScript (RE2/J's port; MIT).

import { RE2JS } from 're2js';

export interface AnchoredRegex {
  /** Whether the whole of `value` matches. */
  test(value: string): boolean;
}

/** Compiles `pattern`; throws with RE2's message when it is not an RE2 expression. */
export function anchoredRegex(pattern: string): AnchoredRegex {
  // On its own first, as Prometheus's parser does: "a)|(b" must not pass inside the group.
  RE2JS.compile(pattern);
  const re = RE2JS.compile(`(?:${pattern})`);
  return { test: (value) => re.matches(value) };
}
