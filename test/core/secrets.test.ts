import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { describeTarget, secretFragments } from '../../src/core/secrets.js';

describe('describeTarget', () => {
  it.each([
    ['a Slack webhook: host only', 'https://hooks.slack.com/services/T01/B02/abcdefSECRET', false, 'hooks.slack.com'],
    ['with a port and credentials', 'http://user:pw@127.0.0.1:5001/hook?code=1', false, '127.0.0.1:5001'],
    ['public: the URL without credentials', 'http://user:pw@am.example:9093/api/v2/alerts', true, 'http://am.example:9093/api/v2/alerts'],
    ['not a URL: nothing of it', 'not a url with a secret', false, '(invalid URL)'],
  ])('%s', (_, url, isPublic, expected) => {
    expect(describeTarget(url, isPublic)).toBe(expected);
  });
});

describe('secretFragments and the protecting logger', () => {
  it('blanks every piece of a secret URL wherever a log line would carry it', () => {
    const url = 'https://bob:pa55word@hooks.example.com/services/T0AB12CD/B0CD34/Zx9SlackSecret?code=azureFnKey1&x=1';
    const lines: string[] = [];
    const logger = createLogger('debug', (l) => lines.push(l));
    logger.protect(secretFragments(url));
    logger.protect(['Bearer header-token-1']);
    logger.log('warn', 'oops', { a: url, b: 'path /services/T0AB12CD/B0CD34/Zx9SlackSecret', c: 'key azureFnKey1', d: 'Bearer header-token-1', e: 'user bob', f: 'the services hook' });
    const line = lines.join('');
    for (const secret of ['pa55word', 'Zx9SlackSecret', 'azureFnKey1', 'header-token-1', 'T0AB12CD']) expect(line).not.toContain(secret);
    // Short or plain words are left alone: blanking them would protect nothing.
    expect(line).toContain('"msg":"oops"');
    expect(line).toContain('the services hook');
  });
});
