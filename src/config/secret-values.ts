// Every secret a loaded configuration holds, as the fragments the logger must never write: sink and
// rollback URLs (unless marked public), their header values, signing secrets, the deploy API token,
// the UI's basic-auth password,
// the sources' URL credentials and OAuth2 client secrets, the probes' headers and credentials, proxies' passwords. (A Prometheus source's headers are tenant names more often than
// secrets, and blanking "crates-io" everywhere would hide what logs are for; no code writes them.)

import { basicCredentials } from '../core/http-auth.js';
import type { HttpClientConfig } from './http-client.js';
import { tokenEndpointBasic } from '../core/oauth2-client-credentials.js';
import { MIN_SECRET_LENGTH, secretFragments } from '../core/secrets.js';
import type { StormwatchConfig } from './load.js';

export function secretValuesOf(config: Pick<StormwatchConfig, 'sinks' | 'source'> & Partial<Pick<StormwatchConfig, 'deploys' | 'probes' | 'serverAuth'>>): string[] {
  const out: string[] = [];
  const url = (u: string, isPublic: boolean | undefined) => {
    if (isPublic) {
      // A public URL may be shown, its credentials still not.
      const parsed = URL.canParse(u) ? new URL(u) : undefined;
      if (parsed?.password) out.push(parsed.password, decodeURIComponent(parsed.password));
    } else out.push(...secretFragments(u));
  };
  // A proxy URL is shown; its password is not.
  const proxyPassword = (u: string | undefined) => {
    const parsed = u !== undefined && URL.canParse(u) ? new URL(u) : undefined;
    if (parsed?.password) out.push(parsed.password, decodeURIComponent(parsed.password));
  };
  // A client's bearer token or basic-auth password (and the pair's base64 form), and its proxy's password.
  const credentials = (http: HttpClientConfig | undefined) => {
    const auth = http?.auth;
    if (auth?.kind === 'bearer') out.push(auth.token.value);
    if (auth?.kind === 'basic') out.push(auth.password.value, basicCredentials(auth.username, auth.password.value));
    proxyPassword(http?.proxyUrl);
  };
  const headers = (h: Record<string, string>) => {
    for (const v of Object.values(h)) out.push(v, v.replace(/^(?:Bearer|Basic)\s+/i, ''));
  };
  for (const s of config.sinks) {
    url(s.url, s.publicUrl);
    headers(s.headers);
    if (s.signingSecret) out.push(s.signingSecret);
    credentials(s.http);
  }
  for (const r of config.deploys?.rollback ?? []) {
    url(r.url, r.publicUrl);
    headers(r.headers);
  }
  if (config.deploys?.apiToken) out.push(config.deploys.apiToken);
  if (config.serverAuth) out.push(config.serverAuth.password);
  if (config.source.kind !== 'replay') {
    // Source URLs are shown (they name what is watched); their credentials are not.
    const parsed = URL.canParse(config.source.url) ? new URL(config.source.url) : undefined;
    if (parsed?.password) out.push(parsed.password, decodeURIComponent(parsed.password));
    // Source credentials (bearer token, basic-auth password, user:password@ moved into basic auth).
    const auth = config.source.http?.auth;
    if (auth?.kind === 'bearer') out.push(auth.token.value);
    if (auth?.kind === 'basic') out.push(auth.password.value, basicCredentials(auth.username, auth.password.value));
    const oauth2 = config.source.http?.oauth2;
    if (oauth2) out.push(oauth2.clientSecret.value, tokenEndpointBasic(oauth2.clientId, oauth2.clientSecret.value), encodeURIComponent(oauth2.clientSecret.value));
    proxyPassword(config.source.http?.proxyUrl);
  }
  // A probe's headers and credentials exist to authenticate it.
  for (const p of config.probes ?? []) {
    if (!p.http) continue;
    headers(p.http.headers);
    const auth = p.http.auth;
    if (auth?.kind === 'bearer') out.push(auth.token.value);
    if (auth?.kind === 'basic') out.push(auth.password.value, basicCredentials(auth.username, auth.password.value));
    proxyPassword(p.http.proxyUrl);
  }
  return out.filter((s) => s.length >= MIN_SECRET_LENGTH);
}
