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

describe('deployTransition: environments', () => {
  it('labels the deploy environment, so failed deploys of one version in two environments are two alerts; alerting.labels keep their own environment', () => {
    const at = Date.parse('2023-07-20T12:30:00Z');
    const common = { environment: 'cluster-eu-1' };
    const shop = deployTransition(record, 'firing', at, definitions, common, 'http://127.0.0.1:9464');
    const staging = deployTransition({ ...record, id: 'd1-staging', environment: 'staging' }, 'firing', at, definitions, common, 'http://127.0.0.1:9464');
    expect(shop.labels).toMatchObject({ environment: 'cluster-eu-1', deploy_environment: 'production' });
    expect(staging.labels).toMatchObject({ environment: 'cluster-eu-1', deploy_environment: 'staging' });
    expect(staging.fingerprint).not.toBe(shop.fingerprint);
    // A record without one (saved before environments were kept) carries no such label.
    const bare = { ...record, environment: undefined } as unknown as DeployRecord;
    expect(deployTransition(bare, 'firing', at, definitions, {}, 'http://127.0.0.1:9464').labels).not.toHaveProperty('deploy_environment');
  });
});
