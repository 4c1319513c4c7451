import { describe, expect, it } from 'vitest';
import type { Assessment } from '../../src/decisions/assessment.js';
import { explain } from '../../src/decisions/explain.js';
import type { AmplificationEstimate, ModelMatch } from '../../src/detectors/retry-amplification.js';

const match = (model: string, retries: number): ModelMatch => ({ model, retries, predictedLow: retries + 1, predictedHigh: retries + 1, regime: 'total', distance: 0, generic: false, centreGap: 0, rampRss: 0, multiplier: 3, multiplierLow: 2.8, multiplierHigh: 3.2 });

function storm(estimate: Partial<AmplificationEstimate>): Assessment {
  const est: AmplificationEstimate = {
    multiplier: 2.2, multiplierLow: 2, multiplierHigh: 2.4, failingAttempts: 1, failingRequests: 1, failingRequestsLow: 0.97, failingRequestsHigh: 1, retriesPerFailure: 1.2,
    attemptsPerRequest: 3.73, attemptsPerRequestLow: 1.79, attemptsPerRequestHigh: 9.46, logicalDemand: 960, logicalDemandLow: 500, logicalDemandHigh: 1200, amplified: true, regime: 'total',
    matches: [match('curl-retry-5', 5), match('pip', 5), match('cargo-legacy', 2), match('cargo', 3)],
    ...estimate,
  };
  return { failing: true, surge: false, kind: 'retry_storm', settled: true, estimate: est, completion: 0, completionBaseline: 0.999, errorRatio: 1, errorRatioBaseline: 0, requests: 2112, requestsBaseline: 960, explanation: '' };
}

describe('explain: a retry storm', () => {
  it('names the best client when it is told apart', () => {
    expect(explain('downloads', storm({}), 'retry_storm')).toContain('every request is failing and curl-retry-5 retrying each one 5 times matches (also fits: pip, cargo-legacy, cargo)');
  });

  it('names none while the clients that fit cannot be told apart, and lists them', () => {
    const text = explain('downloads', storm({ clientUndecided: true }), 'retry_storm');
    expect(text).toContain('every request is failing and being retried (about 3.7 attempts per request); curl-retry-5, pip, cargo-legacy and cargo fit, not yet told apart');
    expect(text).not.toContain('matches');
  });
});

describe('explain: what a sentence may claim', () => {
  it("quotes the error ratio beside its baseline, as the summary does, not the model's share above the baseline", () => {
    const regression: Assessment = { ...storm({ failingAttempts: 0.0782, matches: [] }), kind: 'error_regression', completion: Number.NaN, completionBaseline: Number.NaN, errorRatio: 0.0984, errorRatioBaseline: 0.0202, requests: 960 };
    const text = explain('api', regression, 'error_regression');
    expect(text).toContain('9.84% of requests fail (baseline 2.02%)');
    expect(text).not.toContain('7.82% of requests fail');
  });

  it('says the last tick\'s multiplier beside the one read since the failure began where they are apart, not rates that divide to another figure', () => {
    // 2112/960 is 2.2x: one figure.
    expect(explain('downloads', storm({}), 'retry_storm')).toContain('requests at 2.2x baseline (2.11K/s vs 960/s) while');
    // An update a few ticks on: the plateau read since onset 3.52x, the last tick 4.7K/s of 1.16K/s.
    const later = { ...storm({ multiplier: 3.52, multiplierLow: 3.15, multiplierHigh: 3.93 }), requests: 4702.73, requestsBaseline: 1161.11 };
    expect(explain('downloads', later, 'retry_storm')).toContain('requests at 3.52x baseline (4.7K/s vs 1.16K/s: 4.05x in the last tick, 3.52x since it began) while');
  });

  it('says no more than 100% of requests complete downstream: a tick counting the tick before\'s completions too is everything completing', () => {
    const surge: Assessment = { ...storm({}), failing: false, surge: true, kind: 'error_regression', completion: 1.042, completionBaseline: 0.998, errorRatio: 0.001 };
    const text = explain('downloads', surge, 'organic_surge');
    expect(text).toContain('and 100% complete downstream: more demand, served fine.');
    expect(text).not.toContain('104');
  });

  it('says "unchanged" of the logical demand only when the baseline lies inside its interval, else quotes the baseline', () => {
    expect(explain('downloads', storm({}), 'retry_storm')).toContain('logical demand about 960/s, unchanged.');
    const moved = explain('downloads', storm({ logicalDemand: 2000, logicalDemandLow: 1800, logicalDemandHigh: 2300 }), 'retry_storm');
    expect(moved).toContain('logical demand about 2K/s (960/s before).');
    expect(moved).not.toContain('unchanged');
  });

  it('says a rise not yet clear of the noise is too early to tell, not that no client fits, and never prints NaN', () => {
    const early = explain('downloads', storm({ amplified: false, matches: [], multiplierLow: 0.996, multiplierHigh: 9.2, attemptsPerRequest: Number.NaN }), 'retry_storm');
    expect(early).toContain('too early to tell which client retries (attempts per request not estimable)');
    expect(early).not.toContain('no known client');
    expect(early).not.toContain('NaN');
    const none = explain('downloads', storm({ matches: [] }), 'retry_storm');
    expect(none).toContain('about 3.7 attempts per request), but no known client retry policy fits');
  });

  it('quotes no completion ratio for a tick without requests', () => {
    const empty = { ...storm({ regime: 'none', multiplier: 0.7, multiplierLow: 0.5, multiplierHigh: 1.1 }), completion: Number.NaN, kind: 'outage' as const };
    const text = explain('downloads', empty, 'outage');
    expect(text).toContain('no request in the last tick to read completions from (baseline 99.9% complete)');
    expect(text).not.toContain('n/a');
    // Fewer requests than before: either kind of client, said as such.
    expect(text).toContain('or a fixed pool of clients is stalling on its retries; too early to tell them apart');
  });
});
