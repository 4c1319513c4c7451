import { describe, expect, it } from 'vitest';
import { loadBundledModels } from '../../src/config/load.js';
import { deployTransition } from '../../src/decisions/deploy-alerts.js';
import type { DeployRecord } from '../../src/deploys/types.js';

const { definitions } = loadBundledModels();
const record: DeployRecord = {
  id: 'd1',
  service: 'crates-io',
  version: '1.102.0',
  environment: 'production',
  startedAtMs: Date.parse('2023-07-20T12:17:00Z'),
  source: 'api',
  verdict: 'fail',
  windowEndsAtMs: Date.parse('2023-07-20T12:47:00Z'),
  reasons: ['StormwatchRetryStorm on crate-downloads since 2023-07-20T12:17:15.000Z'],
  evidence: [],
  decidedAtMs: Date.parse('2023-07-20T12:17:15Z'),
};

describe('deployTransition', () => {
  it('says why a deploy alert resolved, as a signal alert does; a firing one says no such thing', () => {
    const at = Date.parse('2023-07-20T12:30:00Z');
    const resolved = deployTransition(record, 'resolved', at, definitions, {}, 'http://127.0.0.1:9464', 'the next deploy of crates-io began (1.103.0, d2, at 2023-07-20T12:30:00.000Z): a rollback or a fix, judged on its own window');
    expect(resolved).toMatchObject({ status: 'resolved', endsAtMs: at, labels: { alertname: 'StormwatchDeployRegression', service: 'crates-io', version: '1.102.0' } });
    expect(resolved.annotations.resolved_because).toContain('the next deploy of crates-io began (1.103.0');
    const firing = deployTransition(record, 'firing', at, definitions, {}, 'http://127.0.0.1:9464', 'ignored');
    expect(firing.annotations).not.toHaveProperty('resolved_because');
    expect(firing.fingerprint).toBe(resolved.fingerprint);
  });
});
