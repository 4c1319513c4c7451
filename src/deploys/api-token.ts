// The deploy API token as it stands now: given as {file:}, the file is read again at each request
// (as the sources' credentials are), so an atomically swapped token works at once and the old one
// stops, with no SIGHUP. A file that cannot be read keeps the last good token.

import { currentCredential } from '../core/http-auth.js';
import type { DeploysConfig } from '../config/config-types.js';

/** deploys.apiToken now (undefined: recording is off). A new value is announced to the logger, which blanks it. */
export function currentApiToken(deploys: Pick<DeploysConfig, 'apiToken' | 'apiTokenFile'> | undefined): string | undefined {
  if (deploys?.apiToken === undefined || deploys.apiTokenFile === undefined) return deploys?.apiToken;
  deploys.apiToken = currentCredential({ value: deploys.apiToken, file: deploys.apiTokenFile });
  return deploys.apiToken;
}
