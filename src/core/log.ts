// A tiny structured logger: one JSON object per line on stderr, secrets redacted before writing.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written: lets a caller skip building costly fields. */
  enabled?(level: LogLevel): boolean;
}

export interface ProtectingLogger extends Logger {
  /** Adds secrets (config values) that are blanked wherever they would appear in a line. */
  protect(secrets: Iterable<string>): void;
}

/** Removes credentials from URLs (user:pass@ and token-like query parameters). */
export function redactUrl(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1<redacted>@')
    .replace(/([?&](?:token|access_token|api_key|apikey|key|secret|password|sig|code)=)[^&\s"]*/gi, '$1<redacted>');
}

export function createLogger(minLevel: LogLevel = 'info', write: (line: string) => void = (l) => process.stderr.write(l)): ProtectingLogger {
  let secrets: string[] = [];
  return {
    enabled(level) {
      return LEVEL_RANK[level] >= LEVEL_RANK[minLevel];
    },
    log(level, msg, fields) {
      if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
      let line = redactUrl(JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields }));
      // Replaced piece by piece rather than with one regular expression: secrets are not patterns.
      for (const s of secrets) if (line.includes(s)) line = line.split(s).join('<redacted>');
      write(`${line}\n`);
    },
    protect(more) {
      const all = new Set(secrets);
      for (const s of more) {
        // Short values would match ordinary words (see MIN_SECRET_LENGTH in secrets.ts).
        if (s.length < 6) continue;
        all.add(s);
        all.add(JSON.stringify(s).slice(1, -1));
      }
      // Longest first, so a secret containing another is blanked whole.
      secrets = [...all].sort((a, b) => b.length - a.length);
    },
  };
}

export const silentLogger: Logger = { log() {} };
