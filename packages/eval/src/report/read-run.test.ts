import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRun, RUN_FILES } from './read-run.js';
import { parseRunEvents } from './run-events.js';
import { parseTrainingLogCsv, splitCsvLine } from './training-log-csv.js';
import { parseReportPredictions } from './predictions-jsonl.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'kvc-read-run-'));
  dirs.push(d);
  return d;
}

describe('parseRunEvents', () => {
  it('keeps known events, counts malformed and unknown lines separately', () => {
    const text = [
      '{"type":"step","stage":"stage1","epoch":1,"step":1,"loss":2.5,"lr":0.001,"gradNorm":"big"}',
      '{"type":"step","stage":"stage1","epoch":1,"st', // cut mid-line (run in progress)
      'not json',
      '[1,2]',
      '{"type":"step","loss":1}', // no stage
      '{"type":"evaluation","stage":"stage1","epoch":1,"metrics":{"meteor":0.2,"siglip":null}}',
      '{"type":"gpu","util":1}',
      '{"no":"type"}',
      '',
      '{"type":"warning","message":"<b>careful</b>"}',
      '{"type":"run-end","status":"completed"}',
    ].join('\n');
    const r = parseRunEvents(text);
    expect(r.malformed).toBe(5);
    expect(r.unknown).toBe(1);
    expect(r.events.map((e) => e.type)).toEqual(['step', 'evaluation', 'warning', 'run-end']);
    expect(r.events[0]).toEqual({ type: 'step', stage: 'stage1', epoch: 1, step: 1, loss: 2.5, lr: 0.001 });
    expect(r.events[1]).toMatchObject({ metrics: { meteor: 0.2 } });
    expect(r.events[3]).toEqual({ type: 'run-end', fields: { status: 'completed' } });
  });

  it("knows the trainer's bookkeeping events (nothing to draw, not counted as unknown)", () => {
    const types = ['stage-start', 'stage-end', 'skipped-step', 'skip', 'stopped'];
    const r = parseRunEvents(types.map((type) => JSON.stringify({ type, stage: 'stage1' })).join('\n'));
    expect(r).toEqual({ events: [], malformed: 0, unknown: 0 });
  });

  it('accepts numeric stages as stageN', () => {
    expect(parseRunEvents('{"type":"epoch","stage":2,"epoch":1}').events[0]).toMatchObject({ stage: 'stage2' });
  });
});

describe('parseTrainingLogCsv', () => {
  it('reads columns by name, leaves empty cells out, skips ragged rows', () => {
    const text =
      'stage,epoch,train_loss,lr,timestamp,meteor\nstage1,1,2.5,0.001,2025-01-01T00:00:00Z,\n2,1,1.2,5e-5,,0.3\nstage2,2,1.1\n\n';
    const r = parseTrainingLogCsv(text);
    expect(r.malformed).toBe(1);
    expect(r.rows).toEqual([
      { stage: 'stage1', timestamp: '2025-01-01T00:00:00Z', values: { epoch: 1, train_loss: 2.5, lr: 0.001 } },
      { stage: 'stage2', values: { epoch: 1, train_loss: 1.2, lr: 5e-5, meteor: 0.3 } },
    ]);
  });

  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b,c","d ""e"""')).toEqual(['a', 'b,c', 'd "e"']);
    expect(parseTrainingLogCsv('')).toEqual({ columns: [], rows: [], malformed: 0 });
  });
});

describe('parseReportPredictions', () => {
  it('needs a prediction string; keeps finite scores; reads eos_reached', () => {
    const text = [
      '{"id":"a","video":"v.mp4","prediction":"빨간 원","reference":"빨간 원","metrics":{"meteor":0.5,"siglip":"x"},"eos_reached":true}',
      '{"id":"b"}',
      '{oops',
      '{"id":7,"prediction":"","reference":["r1","r2"]}',
    ].join('\n');
    const r = parseReportPredictions(text);
    expect(r.malformed).toBe(2);
    expect(r.predictions).toEqual([
      {
        id: 'a',
        video: 'v.mp4',
        prediction: '빨간 원',
        reference: '빨간 원',
        metrics: { meteor: 0.5 },
        eosReached: true,
      },
      { id: '7', prediction: '', reference: 'r1\nr2', metrics: {} },
    ]);
  });
});

describe('readRun', () => {
  it('an empty folder: every file is listed as missing, nothing throws', async () => {
    const d = tmp();
    const run = await readRun(d);
    expect(run.missing).toEqual([...RUN_FILES]);
    expect(run.events).toEqual([]);
    expect(run.config).toBeUndefined();
    expect(run.metrics).toBeUndefined();
  });

  it('reports bad JSON files and skipped lines, keeps numbers of metrics.json, names the run from its config', async () => {
    const d = tmp();
    writeFileSync(join(d, 'config.json'), '{"name":"my run","lr":0.001}');
    writeFileSync(join(d, 'metrics.json'), '{"meteor":0.3,"note":"x","cider":null}');
    writeFileSync(
      join(d, 'events.jsonl'),
      '{"type":"step","stage":"stage1","step":1,"loss":1}\nbad\n{"type":"new-kind"}\n',
    );
    writeFileSync(join(d, 'predictions.jsonl'), '{"id":"a","prediction":"p"}\n{"id":"b"}\n');
    writeFileSync(join(d, 'training_log.csv'), 'stage,epoch\nstage1,1\nstage1\n');
    const run = await readRun(d);
    expect(run.name).toBe('my run');
    expect(run.missing).toEqual([]);
    expect(run.metrics).toEqual({ meteor: 0.3 });
    expect(run.skipped).toEqual([
      { file: 'events.jsonl', malformed: 1, unknown: 1 },
      { file: 'training_log.csv', malformed: 1, unknown: 0 },
      { file: 'predictions.jsonl', malformed: 1, unknown: 0 },
    ]);
    writeFileSync(join(d, 'config.json'), '{"name": ');
    writeFileSync(join(d, 'metrics.json'), '[1]');
    const bad = await readRun(d);
    expect(bad.unreadable.map((u) => u.file)).toEqual(['config.json', 'metrics.json']);
    expect(bad.name).toBe(d.split('/').pop());
  });

  it('a missing folder or a file is E_RUN_NOT_FOUND with a hint', async () => {
    const d = tmp();
    await expect(readRun(join(d, 'nope'))).rejects.toMatchObject({
      code: 'E_RUN_NOT_FOUND',
      hint: expect.stringContaining('kvc report --run'),
    });
    writeFileSync(join(d, 'f'), '');
    await expect(readRun(join(d, 'f'))).rejects.toMatchObject({
      code: 'E_RUN_NOT_FOUND',
      context: { reason: expect.stringContaining('file') },
    });
  });
});
