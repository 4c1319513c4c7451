// Reading a YAML file with line numbers, and turning schema issues into `path: problem (line N)`.

import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { describeKind } from '../core/given-value.js';
import { suggestKey } from './key-suggestions.js';

/** Finds the line of a path in the file (or of its nearest parent that is there). */
export type LineOf = (path: readonly PropertyKey[]) => number | undefined;

/** Formats a schema path as users write it: ['signals', 2, 'requests'] -> signals[2].requests. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(top level)' : out;
}

/** Reads a file as text, or throws ConfigError naming the reason. */
export function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  }
}

/** Reads a YAML file into plain data, or throws ConfigError naming the line. */
export function readYaml(file: string): { data: unknown; lineOf: LineOf } {
  const text = readConfigText(file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        // The column too: YAML's errors are of indentation more often than not.
        const { line, col } = lineCounter.linePos(e.pos[0]);
        return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const lineOf: LineOf = (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  let data: unknown;
  try {
    // Aliases are expanded here: a file of nested aliases (a "billion laughs") is refused by the
    // YAML library with an error of its own, which names no file.
    data = doc.toJS();
  } catch (error) {
    throw new ConfigError(file, [(error as Error).message.split('\n')[0]!]);
  }
  return { data, lineOf };
}

/** The keys allowed at a path, for "did you mean" on unknown keys. */
export type KnownKeys = (path: readonly PropertyKey[]) => readonly string[];

/** One `path: problem (line N)` line per schema issue (one per unknown key, with a suggestion when one is near). */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], lineOf?: LineOf, knownKeys?: KnownKeys): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys' && knownKeys) {
      const known = knownKeys(issue.path);
      return issue.keys.map((key) => {
        const path = [...issue.path, key];
        const line = lineOf?.(path);
        const near = suggestKey(key, known);
        return `${formatPath(path)}: unknown key${near ? `; did you mean ${JSON.stringify(near)}?` : known.length > 0 ? `; known here: ${known.join(', ')}` : ''}${line === undefined ? '' : ` (line ${line})`}`;
      });
    }
    const line = lineOf?.(issue.path);
    // A bad record key: zod says "Invalid key in record"; the key schema's own message says what a key must be.
    const message = issue.code === 'invalid_key' && issue.issues[0] ? issue.issues[0].message : issue.code === 'invalid_type' ? typeProblem(issue) : issue.message;
    return `${formatPath(issue.path)}: ${message}${line === undefined ? '' : ` (line ${line})`}`;
  });
}

/** How YAML writes each kind zod expects. */
const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
  array: 'a list ("- item" lines, or [a, b])',
};

/**
 * zod's "Invalid input: expected string, received number" in YAML's words, naming the kind it got
 * (not the value: it may be a secret); a schema's own wording is kept. Needs the issue's input
 * (safeParse with reportInput); without it, zod's message.
 */
function typeProblem(issue: z.core.$ZodIssueInvalidType): string {
  const expected = EXPECTED[issue.expected];
  if (!issue.message.startsWith('Invalid input') || expected === undefined || !('input' in issue)) return issue.message;
  const got = describeKind(issue.input);
  const hint = issue.expected === 'string' && (typeof issue.input === 'number' || typeof issue.input === 'boolean') ? ': quote it to write it as text' : '';
  return `expected ${expected}, got ${got}${hint}`;
}
