// PromQL syntax checked with the Prometheus project's own grammar (@prometheus-io/lezer-promql, the
// parser behind the Prometheus UI's editor), so `sum(rate(x[5m]` fails check-config instead of
// every tick. The grammar is error-tolerant: a syntax error is an error node in the tree, at the
// position where the parse went wrong. Pure.

import { parser } from '@prometheus-io/lezer-promql';

/** The first syntax error of `expr` as `column N: ...` (1-based), or undefined when it parses. */
export function promqlSyntaxError(expr: string): string | undefined {
  if (expr.trim() === '') return 'empty PromQL expression';
  let at: number | undefined;
  parser.parse(expr).iterate({
    enter: (node) => {
      if (at !== undefined) return false;
      if (node.type.isError) at = node.from;
      return undefined;
    },
  });
  if (at === undefined) return undefined;
  if (at >= expr.length) return `PromQL syntax error at column ${expr.length + 1}: unexpected end of expression (an unclosed bracket or a missing operand?)`;
  const near = expr.slice(at, at + 20);
  return `PromQL syntax error at column ${at + 1}, near ${JSON.stringify(near)}`;
}
