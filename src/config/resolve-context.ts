// What every resolving step of loading shares: the checked file, where relative paths start, how a
// problem is reported (with its line), and how secrets are read (once, or not at all when linting).

import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { RawConfig } from './schema.js';
import { type LineOf, formatPath } from './yaml-file.js';

export type SecretValue = string | { env: string } | { file: string };

export interface ResolveContext {
  raw: RawConfig;
  /** The source kind: what signal inputs and markers must look like. */
  kind: 'prometheus' | 'scrape' | 'replay';
  /** The config file's folder: relative paths start here. */
  base: string;
  lint: boolean;
  /** Records a problem at a path (its line added); loading fails after every step has run. */
  at: (path: PropertyKey[], message: string) => void;
  /** Records a warning at a path (its line added): said, loading goes on. */
  warn: (path: PropertyKey[], message: string) => void;
  readSecret: (value: SecretValue, path: PropertyKey[]) => string;
  readHeaders: (headers: Record<string, SecretValue>, path: PropertyKey[]) => Record<string, string>;
}

export function isHttpUrl(text: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

export function createResolveContext(raw: RawConfig, base: string, lineOf: LineOf, lint: boolean, problems: string[], warnings: string[] = []): ResolveContext {
  const placed = (path: PropertyKey[], message: string) => {
    const line = lineOf(path);
    return `${formatPath(path)}: ${message}${line === undefined ? '' : ` (line ${line})`}`;
  };
  const at = (path: PropertyKey[], message: string) => void problems.push(placed(path, message));
  const warn = (path: PropertyKey[], message: string) => void warnings.push(placed(path, message));
  // Secrets are read here, once; a missing one is a configuration problem that names its place.
  const readSecret = (value: SecretValue, path: PropertyKey[]): string => {
    if (typeof value === 'string') {
      // Prometheus's bearer_token_file given as bearerToken: sent as the token, refused at the
      // first request. Not quoted: a token may begin with a slash after all.
      if (looksLikeFilePath(value)) warn(path, 'an inline value that looks like a file path is sent as it is: to read the file, give {file: PATH}');
      return value;
    }
    if (lint) return '';
    if ('env' in value) {
      const v = process.env[value.env];
      if (v === undefined || v === '') at(path, `environment variable ${value.env} is not set`);
      return v ?? '';
    }
    const secretFile = isAbsolute(value.file) ? value.file : join(base, value.file);
    try {
      return readFileSync(secretFile, 'utf8').trim();
    } catch (error) {
      at(path, `cannot read secret file ${value.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return '';
    }
  };
  const readHeaders = (h: Record<string, SecretValue>, path: PropertyKey[]) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), readSecret(v, [...path, k])]));
  const kind = raw.source.prometheus ? 'prometheus' : raw.source.scrape ? 'scrape' : 'replay';
  return { raw, kind, base, lint, at, warn, readSecret, readHeaders };
}

/** Two or more path segments from the root, nothing else: /var/run/secrets/token. */
export function looksLikeFilePath(value: string): boolean {
  return /^(?:\/[\w.@+-]+){2,}$/.test(value);
}
