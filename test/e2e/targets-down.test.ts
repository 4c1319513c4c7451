// End to end, live: Prometheus scrapes four pods of one service every second; the scrapes of two
// fail (their /metrics answers 500) while all four go on serving. Their series drop out of the rate
// window, and the sum Prometheus has reads half the traffic: stormwatch must hold what they carried
// (missedQuery) and page nothing. With three of four failing, most of the traffic would be estimate:
// no data, and still no page. Then it reads them again when their scrapes are back.

import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliProcess, spawnCli } from '../helpers/cli.js';
import { type RunningPrometheus, startPrometheus, stopChild } from '../helpers/prometheus.js';
import { type DownloadTarget, startDownloadTarget } from '../helpers/download-target.js';
import { type Receiver, startReceiver } from '../helpers/receiver.js';

const PODS = 4;

describe('live: the scrapes of most pods fail while they serve', () => {
  const pods: DownloadTarget[] = [];
  let prometheus: RunningPrometheus;
  let receiver: Receiver;
  let stormwatch: CliProcess;

  beforeAll(async () => {
    for (let i = 0; i < PODS; i++) {
      const pod = startDownloadTarget();
      await new Promise<void>((resolve) => pod.server.listen(0, '127.0.0.1', resolve));
      pods.push(pod);
    }
    prometheus = await startPrometheus({ scrapeTargets: pods.map((p) => `127.0.0.1:${(p.server.address() as AddressInfo).port}`), scrapeInterval: '1s' });
    receiver = await startReceiver();
    const configFile = join(mkdtempSync(join(tmpdir(), 'stormwatch-down-')), 'config.yaml');
    writeFileSync(
      configFile,
      `interval: 1s
source:
  prometheus:
    url: ${prometheus.url}
    warmup: 30s
    rateWindow: 5s
server:
  listen: 127.0.0.1:0
detector:
  minBaselinePoints: 8
  baselineResolution: 1s
alerting:
  for: 2s
sinks:
  - name: receiver
    webhook:
      url: ${receiver.url}/alerts
routes:
  - groupInterval: 1s
signals:
  - name: downloads
    requests: 'api_requests_total{route="download"}'
    downstream: 'static_requests_total{code="200"}'
`,
    );
    stormwatch = spawnCli(['run', '--config', configFile]);
  }, 60_000);

  afterAll(async () => {
    if (stormwatch && stormwatch.child.exitCode === null) await stopChild(stormwatch.child);
    for (const pod of pods) {
      clearInterval(pod.timer);
      await new Promise<void>((resolve) => pod.server.close(() => resolve()));
    }
    await prometheus?.stop();
    await receiver?.close();
  });

  async function gauge(url: string, series: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return Number(line?.split(' ')[1] ?? Number.NaN);
  }

  const requestRate = (url: string) => gauge(url, 'stormwatch_signal_value{signal="downloads",input="requests"}');

  it('holds two failing pods at their last rate, reads three as no data, pages nothing; reads them again when their scrapes are back', async () => {
    const listening = await stormwatch.waitForLog('http server listening', 20_000);
    const ownUrl = String(listening.url);
    // Let baselines fill (8 points at 1 s, after Prometheus has two scrapes).
    await new Promise((r) => setTimeout(r, 14_000));
    // Four pods at 50 requests/s each.
    expect(await requestRate(ownUrl)).toBeGreaterThan(150);
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);

    for (const pod of pods.slice(2)) pod.state.failScrapes = true;
    // Four rate windows: the failing series left the window three windows ago (then Prometheus's
    // sum read 100/s, and with five of six pods failing a 0.157x fall paged an Outage).
    const rates: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      rates.push(await requestRate(ownUrl));
    }
    expect(Math.min(...rates), rates.join(' ')).toBeGreaterThan(150);
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);
    // Said: the two pods' rates are an estimate, not a reading.
    expect(await gauge(ownUrl, 'stormwatch_signal_held_rate{signal="downloads",input="requests"}')).toBeGreaterThan(50);
    expect(stormwatch.stderr()).toContain('reading the last rates of series missing from Prometheus');

    // A third: most of the traffic would be estimate, so it is no data (the gauge is gone).
    pods[1]!.state.failScrapes = true;
    await new Promise((r) => setTimeout(r, 10_000));
    expect(await requestRate(ownUrl)).toBeNaN();
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);

    // Back: every tick reads all four (the first scrape back alone in the rate window counts its
    // rate over the gap; without it that tick read one pod of four).
    for (const pod of pods) pod.state.failScrapes = false;
    const back: number[] = [];
    for (let i = 0; i < 32; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const rate = await requestRate(ownUrl);
      if (Number.isFinite(rate)) back.push(rate);
    }
    expect(back.length).toBeGreaterThan(16);
    expect(Math.min(...back), back.join(' ')).toBeGreaterThan(150);
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);
    // Said once nothing has been held for five ticks (HeldRateLog).
    expect(await stormwatch.waitForLog('no series is read at its last rate any more', 15_000)).toMatchObject({ inputs: expect.arrayContaining(['downloads/requests']) });
    expect(stormwatch.stderr().split('\n').filter((l) => l.includes('reading the last rates of series missing from Prometheus')).length).toBeLessThanOrEqual(3);
  }, 90_000);

  it("holds series that left two pods' pages while they serve: no Outage", async () => {
    const ownUrl = String((await stormwatch.waitForLog('http server listening', 20_000)).url);
    const completions = () => gauge(ownUrl, 'stormwatch_signal_value{signal="downloads",input="downstream"}');
    // All four pods read in the window (after the test before: their scrapes back), and baselines
    // filled (run alone: 8 points at 1 s).
    await new Promise((r) => setTimeout(r, 6000));
    for (let i = 0; i < 20 && !((await completions()) > 150); i++) await new Promise((r) => setTimeout(r, 1000));
    expect(await completions()).toBeGreaterThan(150);
    // Two pods stop writing the static host's counter and go on serving: their series leave
    // Prometheus's rate window a window later (5 s), and the sum reads half the completions: a
    // completion ratio of 0.5 that paged an Outage before such series were held.
    for (const pod of pods.slice(2)) pod.state.hideFiles = true;
    const read: number[] = [];
    const heldRead: number[] = [];
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      read.push(await completions());
      heldRead.push(await gauge(ownUrl, 'stormwatch_signal_held_rate{signal="downloads",input="downstream"}'));
    }
    const said = `completions ${read.join(' ')}; held ${heldRead.join(' ')}`;
    // Half the group's completions are held: never read as no data (most of the group) by a tick's
    // noise, once they have left the window (5 s) and until the end.
    const finite = read.filter(Number.isFinite);
    expect(finite.length, said).toBeGreaterThan(18);
    expect(Math.min(...finite), said).toBeGreaterThan(150);
    // Said: the two pods' completions are an estimate, not a reading.
    expect(heldRead.slice(8).every((h) => h > 50), said).toBe(true);
    expect(receiver.received.map((r) => r.body), stormwatch.stdout()).toEqual([]);
    for (const pod of pods) pod.state.hideFiles = false;
  }, 60_000);
});
