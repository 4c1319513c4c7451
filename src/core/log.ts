// A tiny structured logger: one JSON object per line on stderr, secrets redacted before writing.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
}

/** Removes credentials from URLs (user:pass@ and token-like query parameters). */
export function redactUrl(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1<redacted>@')
    .replace(/([?&](?:token|access_token|api_key|apikey|key|secret|password|sig)=)[^&\s]*/gi, '$1<redacted>');
}

export function createLogger(minLevel: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  return {
    log(level, msg, fields) {
      if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
      const line = JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields });
      write(`${redactUrl(line)}\n`);
    },
  };
}

export const silentLogger: Logger = { log() {} };
