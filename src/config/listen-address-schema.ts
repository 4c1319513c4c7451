// The server's listen address field (server.listen): its problems say what was given, as --listen's do.

import { z } from 'zod';
import { LISTEN_RE, isListenAddress, listenAddressProblem } from '../core/listen-address.js';

const problem = (issue: { input?: unknown }) => listenAddressProblem(issue.input);

// The pattern stays a regex check so the JSON schema carries it to editors; a text it refuses is
// not checked again for its port (one problem, not the same twice).
export const listenAddressField = z.string({ error: problem }).regex(LISTEN_RE, { error: problem, abort: true }).refine(isListenAddress, { error: problem });
