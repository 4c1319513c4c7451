// How a problem names the value it was given. "expected string" alone hid that YAML had read an
// unquoted `9464` or `5` as a number; naming the kind says what to change.

import { clip } from './clip.js';

/** The value as a message names it: text quoted (clipped), other kinds named ("the number 5", "a list"). */
export function describeGiven(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

/**
 * The kind of a value, never the value: a type error may be about a secret (an unquoted numeric
 * password reads as a number), so its message names only what kind YAML read.
 */
export function describeKind(value: unknown): string {
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'true or false';
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}
