// Writes a backtest's report file: the model from its history, the assets inlined.

import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { StormwatchConfig } from '../config/load.js';
import { secretValuesOf } from '../config/secret-values.js';
import { redactConfigText } from './config-redaction.js';
import type { BacktestSummary } from '../runner/backtest.js';
import { assetText } from '../ui/assets.js';
import { reportHtml } from './report-html.js';
import { reportModel } from './report-model.js';
import { labelsBeside } from './scenario-labels.js';
import { type SummaryCounter, summaryNumbers } from './summary.js';
import { makeDirs } from '../core/make-dirs.js';

/**
 * The configuration file as the report shows it: its text, with every secret the configuration
 * holds (config/secret-values.ts: sink URLs, tokens, passwords, header values given inline) blanked.
 * A report is a file people pass around.
 */
export function reportConfigText(config: StormwatchConfig): string {
  try {
    return redactConfigText(readFileSync(config.file, 'utf8'), secretValuesOf(config));
  } catch {
    return '(the configuration file could not be read)';
  }
}

export function writeReport(file: string, config: StormwatchConfig, input: string | undefined, backtest: BacktestSummary, counter: SummaryCounter, nowMs = Date.now()): { file: string; bytes: number } {
  if (!backtest.history) throw new Error('a report needs the backtest run with keepHistory');
  const configText = reportConfigText(config);
  const model = reportModel({
    title: input ? basename(input) : basename(config.file),
    input: input ?? `${config.source.kind} source of ${config.file}`,
    fromMs: backtest.fromMs,
    toMs: backtest.toMs,
    generatedAtMs: nowMs,
    history: backtest.history,
    deploys: backtest.deploys,
    labels: input ? labelsBeside(input) : undefined,
    summary: summaryNumbers({ counter, deploys: backtest.deploys, dataProblems: backtest.dataProblems, fromMs: backtest.fromMs, toMs: backtest.toMs }),
    mutedBy: counter.mutedBy,
    releasedAt: counter.releasedAt,
    configFile: config.file,
    configText,
    ...(config.deploys ? { deployWindowMs: config.deploys.windowMs } : {}),
  });
  const html = reportHtml(model, { uplotJs: assetText('uPlot.iife.min.js'), uplotCss: assetText('uPlot.min.css'), chartsJs: assetText('series-charts.js'), css: assetText('style.css') });
  const out = resolve(file);
  makeDirs(dirname(out));
  writeFileSync(out, html);
  return { file: out, bytes: Buffer.byteLength(html) };
}
