import { describe, expect, it } from 'vitest';
import type { RunData } from './read-run.js';
import { globalSteps, runSeries } from './run-series.js';
import { runCharts } from './run-charts.js';
import { parseRunEvents } from './run-events.js';
import { parseTrainingLogCsv } from './training-log-csv.js';

const run = (events: string, csv = ''): RunData => ({
  dir: '/r',
  name: 'r',
  events: parseRunEvents(events).events,
  trainingLog: parseTrainingLogCsv(csv).rows,
  predictions: [],
  missing: [],
  unreadable: [],
  skipped: [],
});

describe('globalSteps', () => {
  it.each([
    ['global counter', [1, 2, 3, 4], [1, 2, 3, 4]],
    ['restarts per stage', [1, 2, 3, 1, 2], [1, 2, 3, 4, 5]],
    ['restarts per epoch at 0', [0, 1, 0, 1], [0, 1, 1, 2]],
    ['missing step numbers continue', [5, undefined, undefined], [5, 6, 7]],
  ])('%s', (_, steps, xs) => {
    expect(globalSteps(steps.map((step) => ({ stage: 's', step }))).map((p) => p.x)).toEqual(xs);
  });
});

describe('runSeries', () => {
  const events = [
    ...[1, 2, 3].map((s) => `{"type":"step","stage":"stage1","epoch":1,"step":${s},"loss":${3 - s / 2},"lr":0.001}`),
    '{"type":"evaluation","stage":"stage1","epoch":1,"metrics":{"meteor":0.1}}',
    '{"type":"evaluation","stage":"stage1","epoch":2,"metrics":{"meteor":0.2}}',
    ...[1, 2].map((s) => `{"type":"step","stage":"stage2","epoch":1,"step":${s},"loss":1,"tokensPerS":100}`),
    '{"type":"evaluation","stage":"stage2","epoch":1,"metrics":{"meteor":0.3,"cider_d":0.5}}',
  ].join('\n');

  it('puts both stages on one step axis and one epoch axis, with a marker between them', () => {
    const s = runSeries(run(events));
    expect(s.source).toBe('events');
    expect(s.stages).toEqual(['stage1', 'stage2']);
    expect(s.steps.map((p) => p.x)).toEqual([1, 2, 3, 4, 5]);
    expect(s.stepMarkers).toEqual([{ x: 3.5, label: 'stage2 →' }]);
    expect(s.evals.map((e) => e.x)).toEqual([1, 2, 3]);
    expect(s.evalMarkers).toEqual([{ x: 2.5, label: 'stage2 →' }]);
  });

  it('makes only the charts that have data, eval metrics in the usual order', () => {
    const ids = runCharts(runSeries(run(events))).map((c) => c.id);
    expect(ids).toEqual(['loss', 'lr', 'throughput', 'eval-meteor', 'eval-cider_d']);
  });

  it('reads a legacy `cider` key as CIDEr-D, from events and from training_log.csv', () => {
    const legacy = '{"type":"evaluation","stage":"stage1","epoch":1,"metrics":{"cider":0.5}}';
    expect(runSeries(run(legacy)).evals[0]!.metrics).toEqual({ cider_d: 0.5 });
    const csv = 'stage,epoch,train_loss,lr,step,cider,tokens_per_s\nstage1,1,2.0,0.001,10,0.5,900\n';
    const s = runSeries(run('', csv));
    expect(s.evals[0]!.metrics).toEqual({ cider_d: 0.5 });
    expect(s.steps[0]!.tokensPerS).toBe(900);
  });

  it('falls back to training_log.csv when there are no events', () => {
    const csv =
      'stage,epoch,train_loss,siglip_score,lr,step\nstage1,1,2.0,0.05,0.001,10\nstage1,2,1.5,0.06,0.0005,20\nstage2,1,1.0,,0.00005,10\n';
    const s = runSeries(run('', csv));
    expect(s.source).toBe('training_log.csv');
    expect(s.steps.map((p) => [p.stage, p.x, p.loss])).toEqual([
      ['stage1', 10, 2],
      ['stage1', 20, 1.5],
      ['stage2', 30, 1],
    ]);
    expect(s.evals.map((e) => e.metrics)).toEqual([{ siglip: 0.05 }, { siglip: 0.06 }]);
  });

  it('no data at all: no series, no charts', () => {
    const s = runSeries(run(''));
    expect(s.source).toBe('none');
    expect(runCharts(s)).toEqual([]);
  });
});
