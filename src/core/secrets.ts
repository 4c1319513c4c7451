// Secrets by construction: sink URLs and header values are secret unless the config marks a URL
// public. What logs and errors may show of a target is decided here, once, from the URL: its host
// (with the port), or the whole URL without credentials when it is public. A second line of defence,
// `secretFragments`, lists the pieces of every secret so the logger can blank them wherever they
// would appear.

import { redactUrl } from './log.js';

/** Shorter values are not blanked in logs: they would match ordinary words. */
export const MIN_SECRET_LENGTH = 6;

/** What logs and errors say about a URL: `host:port`, or the URL without credentials when public. */
export function describeTarget(url: string, isPublic = false): string {
  try {
    const parsed = new URL(url);
    if (!isPublic) return parsed.host;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    // Not a URL: say nothing of it.
    return '(invalid URL)';
  }
}

/**
 * Secret-looking path segments: 16 characters or more, or 8 or more with a digit, a capital or an
 * underscore. Plain words such as "hooks" or "alerts" are not blanked: they would mangle every log
 * line that names an endpoint.
 */
const SECRET_SEGMENT = /^(?:.{16,}|(?=.{8,})(?=.*[0-9A-Z_]).*)$/;

/**
 * The pieces of a secret URL that must never be written: the URL itself, its userinfo, its query
 * string, secret-looking path segments (a Slack webhook's `/services/T…/B…/SECRET`) and every query
 * value. Short pieces (under 6 characters) are left out: blanking them would mangle unrelated text
 * and they protect nothing.
 */
export function secretFragments(url: string): string[] {
  const out = new Set<string>([url, redactUrl(url)]);
  try {
    const u = new URL(url);
    for (const part of [u.username, u.password, decodeSafe(u.username), decodeSafe(u.password)]) out.add(part);
    if (u.search.length > 1) out.add(u.search.slice(1));
    for (const seg of u.pathname.split('/')) if (SECRET_SEGMENT.test(seg)) out.add(seg);
    for (const [, value] of u.searchParams) out.add(value);
    for (const value of u.search.slice(1).split('&').map((kv) => kv.split('=')[1] ?? '')) out.add(value);
  } catch {
    // not a URL: the whole string is the secret
  }
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH);
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The text shown in place of a secret where a text that held it is written out (a report's copy of the config). */
export const SECRET_PLACEHOLDER = '<secret>';

/** `text` with every occurrence of each secret replaced by SECRET_PLACEHOLDER (longest first, so a secret's pieces never show its rest). */
export function blankSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of [...new Set(secrets)].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length)) out = out.split(secret).join(SECRET_PLACEHOLDER);
  return out;
}
