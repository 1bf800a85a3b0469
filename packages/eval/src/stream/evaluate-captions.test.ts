import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, concat, defer, firstValueFrom, from, lastValueFrom, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parsePredictionsJsonl } from '../predictions/parse-predictions.js';
import type { CaptionRecord } from '../predictions/caption-record.js';
import { writeEvalOutputs } from '../predictions/write-eval-outputs.js';
import type { EvalEvent, MetricsEvent, SampleEvent } from './eval-events.js';
import { evaluateCaptions } from './evaluate-captions.js';
import { RunningMeans, type SampleScores, type Scorer } from './scorer.js';

/** A scorer that records its calls: score = prediction length. */
class LengthScorer implements Scorer {
  readonly name: string = 'len';
  inits = 0;
  disposes = 0;
  batches: number[] = [];
  private readonly means = new RunningMeans();
  constructor(private readonly failOn?: string) {}
  async init(): Promise<void> {
    this.inits += 1;
    this.means.reset();
  }
  async scoreBatch(records: readonly CaptionRecord[]): Promise<readonly SampleScores[]> {
    this.batches.push(records.length);
    if (this.failOn && records.some((r) => r.id === this.failOn))
      throw Object.assign(new Error('boom'), { code: 'E_BOOM', context: { file: 'model.safetensors' } });
    const out = records.map((r) => ({ len: r.prediction.length }));
    this.means.add(out);
    return out;
  }
  aggregate(): SampleScores {
    return this.means.means();
  }
  dispose(): void {
    this.disposes += 1;
  }
}

const records: CaptionRecord[] = ['가 나 다', '', '라 마', '바 사 아 자', '가 나 다'].map((p, i) => ({
  id: `s${i}`,
  prediction: p,
  reference: '가 나 다 라',
  eosReached: i % 2 === 0,
}));
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('evaluateCaptions', () => {
  it('inits each scorer once, scores in batches, emits samples, progress and the aggregate last', async () => {
    const scorer = new LengthScorer();
    const events = await lastValueFrom(
      from(records).pipe(evaluateCaptions({ scorers: [scorer], batchSize: 2, total: 5 }), toArray()),
    );
    expect(scorer.inits).toBe(1);
    expect(scorer.batches).toEqual([2, 2, 1]);
    expect(events.filter((e) => e.type === 'progress')).toEqual(
      [2, 4, 5].map((done) => ({ type: 'progress', done, total: 5 })),
    );
    const samples = events.filter((e): e is SampleEvent => e.type === 'sample');
    expect(samples.map((s) => [s.index, s.id, s.metrics.len])).toEqual(
      records.map((r, i) => [i, r.id, r.prediction.length]),
    );
    const last = events[events.length - 1] as MetricsEvent;
    expect(last.type).toBe('metrics');
    expect(last.aggregate.model.len).toBeCloseTo(records.reduce((a, r) => a + r.prediction.length, 0) / 5, 12);
    expect(last.aggregate).toMatchObject({ count: 5, emptyPredictions: 1, eosRate: 3 / 5, cutRate: 2 / 5 });
    expect(last.aggregate.pure.meteor).toBeGreaterThan(0);
    expect(last.samples[1]!.metrics).toMatchObject({ len: 0, meteor: 0 });
    expect(Object.keys(last.samples[0]!.metrics).sort()).toEqual(['bleu_4', 'cider_d', 'len', 'meteor', 'rouge_l']);
    await tick();
    expect(scorer.disposes).toBe(1);
  });

  it('scores captions while they are still arriving (generation and scoring overlap)', async () => {
    const input = new Subject<CaptionRecord>();
    const seen: EvalEvent[] = [];
    const done = new Promise<void>((resolve) =>
      input
        .pipe(evaluateCaptions({ scorers: [new LengthScorer()], batchSize: 2, pureMetrics: [] }))
        .subscribe({ next: (e) => seen.push(e), complete: resolve }),
    );
    await tick();
    input.next(records[0]!);
    input.next(records[1]!);
    await tick();
    expect(seen.filter((e) => e.type === 'sample')).toHaveLength(2);
    expect(seen.some((e) => e.type === 'metrics')).toBe(false);
    input.complete();
    await done;
    expect(seen[seen.length - 1]!.type).toBe('metrics');
  });

  it('sends a scorer failure down the stream with scorer, stage, ids and the original context, and disposes', async () => {
    const scorer = new LengthScorer('s3');
    const err = await lastValueFrom(from(records).pipe(evaluateCaptions({ scorers: [scorer], batchSize: 2 }))).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'E_SCORER',
      context: { scorer: 'len', stage: 'score', ids: ['s2', 's3'], cause: 'E_BOOM', file: 'model.safetensors' },
    });
    await tick();
    expect(scorer.disposes).toBe(1);
  });

  it('fails at init without subscribing to the captions, and passes source errors through', async () => {
    const bad: Scorer = {
      ...new LengthScorer(),
      name: 'bad',
      init: () => Promise.reject(new Error('no weights')),
      scoreBatch: async () => [],
      aggregate: () => ({}),
      dispose: () => undefined,
    };
    let subscribed = false;
    const src = defer(() => ((subscribed = true), from(records)));
    const e1 = await firstValueFrom(src.pipe(evaluateCaptions({ scorers: [bad] }))).catch((e: unknown) => e);
    expect(e1).toMatchObject({ code: 'E_SCORER', context: { scorer: 'bad', stage: 'init', reason: 'no weights' } });
    expect(subscribed).toBe(false);
    const e2 = await lastValueFrom(
      concat(
        from(records.slice(0, 1)),
        throwError(() => new Error('decoder died')),
      ).pipe(evaluateCaptions()),
    ).catch((e: unknown) => e);
    expect((e2 as Error).message).toBe('decoder died');
  });

  it('rejects bad options up front', () => {
    expect(() => evaluateCaptions({ batchSize: 0 })).toThrow(/batchSize/);
    expect(() => evaluateCaptions({ pureMetrics: ['nope' as never] })).toThrow(/unknown metric nope/);
    expect(() => evaluateCaptions({ scorers: [new LengthScorer(), new LengthScorer()] })).toThrow(/share a name/);
  });

  it('writes predictions.jsonl and metrics.json that read back', async () => {
    const last = (await lastValueFrom(
      from(records).pipe(evaluateCaptions({ scorers: [new LengthScorer()] })),
    )) as MetricsEvent;
    const dir = mkdtempSync(join(tmpdir(), 'kvc-eval-out-'));
    const files = await writeEvalOutputs(dir, last, { predictions_file: 'x.jsonl' });
    const back = parsePredictionsJsonl(readFileSync(files.predictions, 'utf8'));
    expect(back.issues).toEqual([]);
    expect(back.records).toEqual(records);
    const firstLine = JSON.parse(readFileSync(files.predictions, 'utf8').split('\n')[0]!) as Record<string, unknown>;
    expect(firstLine).toMatchObject({ id: 's0', eos_reached: true, metrics: { len: 5 } });
    const metrics = JSON.parse(readFileSync(files.metrics, 'utf8')) as Record<string, unknown>;
    expect(metrics).toMatchObject({
      count: 5,
      empty_predictions: 1,
      eos_rate: 0.6,
      cut_rate: 0.4,
      meteor: last.aggregate.pure.meteor,
      predictions_file: 'x.jsonl',
    });
    expect(metrics.bleu_4).toBe(last.aggregate.pure.bleu?.[3]);
    // Where the time went is not a metric.
    expect(Object.keys(metrics).filter((k) => /ms|timing/i.test(k))).toEqual([]);
  });

  it('says where the time went: each scorer’s load and batches, and the pure metrics', async () => {
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    class SlowScorer extends LengthScorer {
      override readonly name = 'slow';
      override async init(): Promise<void> {
        await wait(60);
        await super.init();
      }
      override async scoreBatch(rs: readonly CaptionRecord[]): Promise<readonly SampleScores[]> {
        await wait(40);
        return super.scoreBatch(rs);
      }
    }
    const last = (await lastValueFrom(
      from(records).pipe(evaluateCaptions({ scorers: [new LengthScorer(), new SlowScorer()], batchSize: 2 })),
    )) as MetricsEvent;
    const t = last.timings!;
    expect(Object.keys(t.scorers).sort()).toEqual(['len', 'slow']);
    // 3 batches of 40 ms, a 60 ms load (timers fire no earlier than asked; a little slack below for rounding).
    expect(t.scorers.slow!.loadMs).toBeGreaterThanOrEqual(59);
    expect(t.scorers.slow!.scoreMs).toBeGreaterThanOrEqual(3 * 40 - 1);
    expect(t.scorers.len!.scoreMs).toBeLessThan(t.scorers.slow!.scoreMs);
    expect(t.pureMs).toBeGreaterThanOrEqual(0);
  });
});
