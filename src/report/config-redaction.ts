// A configuration file as a report shows it: every value that holds a secret replaced where it is
// written, by its key, whatever its length or form. A text search for the resolved secrets alone
// (the second pass) missed an Alertmanager URL's query and its second URL, and every secret
// shorter than the 6 characters a log blanks.

import { isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { redactUrl } from '../core/log.js';
import { SECRET_PLACEHOLDER, blankSecrets } from '../core/secrets.js';

/** Keys whose value is a secret wherever they are. */
const SECRET_KEYS = new Set(['password', 'bearerToken', 'signingSecret', 'apiToken', 'clientSecret', 'token']);
/** Keys whose URL values are secrets unless the same mapping says publicUrl: true (sinks, rollback hooks). */
const SECRET_URL_KEYS = new Set(['url', 'urls']);
/** Keys whose URLs are shown without their credentials and secret-looking query values (sources, proxies). */
const SHOWN_URL_KEYS = new Set(['proxyUrl', 'tokenUrl']);

/** A URL with its userinfo and every query value replaced (a public or shown URL keeps its host and path). */
function withoutCredentials(url: string): string {
  if (!URL.canParse(url)) return SECRET_PLACEHOLDER;
  const u = new URL(url);
  const userinfo = u.username !== '' || u.password !== '' ? `${SECRET_PLACEHOLDER}@` : '';
  const query = [...u.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=${SECRET_PLACEHOLDER}`).join('&');
  return `${u.protocol}//${userinfo}${u.host}${u.pathname}${query ? `?${query}` : ''}${u.hash}`;
}

/**
 * `text` (a stormwatch configuration file) with each secret value replaced by `<secret>` where its
 * key says it is one, then every resolved secret in `secrets` blanked wherever else it appears (a
 * comment). A text that is not YAML is blanked by `secrets` alone.
 */
export function redactConfigText(text: string, secrets: readonly string[]): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return blankSecrets(redactUrl(text), secrets);
  visit(doc, {
    Pair(_, pair, path) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      // The keys above this pair, outermost first (sinks, webhook; source, prometheus).
      const above = path.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      const parent = path.at(-1);
      const publicUrl = isMap(parent) && parent.get('publicUrl') === true;
      const each = (how: (value: string) => string) => {
        const node = pair.value;
        for (const item of isSeq(node) ? node.items : [node]) if (isScalar(item) && typeof item.value === 'string') item.value = how(item.value);
      };
      // {env: NAME} and {file: PATH} name where a secret is, not the secret: they stay.
      if (above.at(-1) === 'headers' || SECRET_KEYS.has(key)) each(() => SECRET_PLACEHOLDER);
      // Source URLs name what is watched: shown, without credentials.
      else if (SECRET_URL_KEYS.has(key)) each((v) => (publicUrl || above[0] === 'source' ? withoutCredentials(v) : SECRET_PLACEHOLDER));
      else if (SHOWN_URL_KEYS.has(key)) each(withoutCredentials);
    },
  });
  return blankSecrets(doc.toString({ flowCollectionPadding: false, lineWidth: 0 }), secrets);
}
