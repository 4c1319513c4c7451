// End to end with a real Alertmanager: a firing incident refreshed by the alert decider (another
// client named, attempts re-estimated) is re-sent as the same alert, and Alertmanager shows the
// updated annotations on its one alert (same fingerprint), not a second incident.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundledModels } from '../../src/config/load.js';
import { createLogger } from '../../src/core/log.js';
import { AlertDecider } from '../../src/decisions/alert-decider.js';
import type { Assessment } from '../../src/decisions/assess.js';
import type { AmplificationEstimate } from '../../src/detectors/retry-amplification.js';
import { Notifier } from '../../src/runner/notify.js';
import { type RunningAlertmanager, startAlertmanager } from '../helpers/alertmanager.js';
import { notifierConfig } from '../helpers/notifier-config.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

interface GettableAlert {
  fingerprint: string;
  annotations: Record<string, string>;
  status: { state: string };
}

const { definitions } = loadBundledModels();
const signal = { id: 'crate-downloads', name: 'crate-downloads', labels: { service: 'crates-io' } };

function storm(model: string, attempts: number): Assessment {
  const estimate: AmplificationEstimate = {
    multiplier: attempts, multiplierLow: attempts * 0.95, multiplierHigh: attempts * 1.05, failingAttempts: 1, failingRequests: 1, failingRequestsLow: 0.95, failingRequestsHigh: 1, retriesPerFailure: attempts - 1,
    attemptsPerRequest: attempts, attemptsPerRequestLow: attempts * 0.95, attemptsPerRequestHigh: attempts * 1.05, logicalDemand: 1000, logicalDemandLow: 950, logicalDemandHigh: 1050, amplified: true, regime: 'total',
    matches: [{ model, retries: 3, predictedLow: 3, predictedHigh: 4, regime: 'total', distance: 0, generic: false, centreGap: 0, rampRss: 0, multiplier: attempts, multiplierLow: attempts * 0.95, multiplierHigh: attempts * 1.05 }],
  };
  return { failing: true, surge: false, kind: 'retry_storm', settled: true, estimate, completion: 0, completionBaseline: 0.999, errorRatio: 0, errorRatioBaseline: 0, requests: attempts * 1000, requestsBaseline: 1000, explanation: `${model} retrying` };
}

async function alertsOf(am: RunningAlertmanager): Promise<GettableAlert[]> {
  return (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as GettableAlert[];
}

describe('refreshed alerts against a real Alertmanager', () => {
  let receiver: Receiver;
  let am: RunningAlertmanager;

  beforeAll(async () => {
    receiver = await startReceiver();
    am = await startAlertmanager(`${receiver.url}/am`);
  }, 60_000);
  afterAll(async () => {
    await am?.stop();
    await receiver?.close();
  });

  it('shows the updated client and estimate on the same alert', async () => {
    const notifier = new Notifier(notifierConfig([{ name: 'am', kind: 'alertmanager', url: `${am.url}/api/v2/alerts`, timeoutMs: 2000, headers: {}, resendIntervalMs: 60_000 }]), { logger: createLogger('error', () => {}) });
    const decider = new AlertDecider(definitions, { forMs: 0, keepFiringForMs: 0 }, {}, { withinMs: 0 }, { minIntervalMs: 30_000 });
    const t0 = Date.now() - 60_000;
    const [page] = decider.decide(signal, storm('cargo-legacy', 2.6), t0);
    notifier.handle([page!], t0);
    expect(await notifier.drain(10_000)).toBe(0);
    expect((await alertsOf(am)).map((a) => a.annotations.client_model)).toEqual(['cargo-legacy']);

    const [update] = decider.decide(signal, storm('cargo', 3.1), t0 + 45_000);
    expect(update).toMatchObject({ status: 'firing', update: 1, fingerprint: page!.fingerprint });
    notifier.handle([update!], t0 + 45_000);
    expect(await notifier.drain(10_000)).toBe(0);
    notifier.close();

    const alerts = await alertsOf(am);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ fingerprint: page!.fingerprint, status: { state: 'active' }, annotations: { client_model: 'cargo', attempts_per_request: '3.1' } });
  }, 60_000);
});
