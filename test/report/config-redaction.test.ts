import { describe, expect, it } from 'vitest';
import { redactConfigText } from '../../src/report/config-redaction.js';

describe('redactConfigText', () => {
  it("blanks every Alertmanager URL whole, query and all, and secrets of any length, by their key", () => {
    const text = `source:
  scrape:
    url: http://scraper:Sc9@127.0.0.1:9/metrics?token=Tk1
sinks:
  - name: am
    alertmanager:
      urls:
        - http://uam2:PwAm2Leak@127.0.0.1:9/AmPathSecret1234567890abcdef/?token=TokAm2Leak
        - "https://127.0.0.2:9/?api_key=ApiKeyAm2Leak"
      headers: {X-Api-Key: 'Ab3x9'}
  - name: hook
    webhook:
      url: http://127.0.0.1:5001/hook?sig=Q1
      publicUrl: true
      signingSecret: 'Sg7w2'
      basicAuth: {username: ops, password: {file: /run/secrets/pw}}
deploys:
  apiToken: 'Dk9z'
  rollback:
    - service: api
      url: http://ci.example/hooks/Rb1
signals:
  - name: api
    requests: api_requests_total
`;
    const out = redactConfigText(text, []);
    for (const secret of ['Sc9', 'Tk1', 'PwAm2Leak', 'AmPathSecret', 'TokAm2Leak', 'ApiKeyAm2Leak', 'Ab3x9', 'Q1', 'Sg7w2', 'Dk9z', 'Rb1']) expect(out, secret).not.toContain(secret);
    // What names the setup stays: the source's host and path, a public URL's, where a secret file is.
    expect(out).toContain('url: http://<secret>@127.0.0.1:9/metrics?token=<secret>');
    expect(out).toContain('url: http://127.0.0.1:5001/hook?sig=<secret>');
    expect(out).toContain('password: {file: /run/secrets/pw}');
    expect(out).toContain('requests: api_requests_total');
    expect(out).toContain("headers: {X-Api-Key: '<secret>'}");
  });

  it('blanks the resolved secrets elsewhere too (a comment), and a text that is not YAML by them alone', () => {
    expect(redactConfigText('# token was hunter22 once\ninterval: 15s\n', ['hunter22'])).not.toContain('hunter22');
    expect(redactConfigText('a: [unclosed\nhunter22', ['hunter22'])).not.toContain('hunter22');
  });
});
