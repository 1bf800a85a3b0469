import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVideo } from '@kvc/video-io';
import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { jsonLines, runCaptured } from './__tests__/run-captured.js';

const REF = new URL('../../../../test/fixtures/reference/', import.meta.url).pathname;
const BERT = join(REF, 'bertscore', 'model');
interface RefCase {
  candidate: string;
  reference: string;
  f1: number;
}
const ref = JSON.parse(readFileSync(join(REF, 'bertscore', 'bertscore_reference.json'), 'utf8')) as {
  num_layers: number;
  cases: RefCase[];
};

/** The reference pairs (one has an empty prediction) with a malformed line and a line missing its reference. */
function predictionsFile(): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kvc-metrics-'));
  const lines = ref.cases.map((c, i) =>
    JSON.stringify({ id: `p${i}`, prediction: c.candidate, reference: c.reference, eos_reached: i !== 1 }),
  );
  lines.splice(1, 0, '{"id": "broken", "prediction": "잘린 줄');
  lines.splice(4, 0, JSON.stringify({ id: 'noref', prediction: '참조가 없는 예측' }));
  const file = join(dir, 'preds.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, dir };
}
const BERT_ARGS = ['--bert-model', BERT, '--bert-layer', String(ref.num_layers), '--backend', 'cpu'];

describe('kvc metrics', () => {
  it('--json: reports bad lines by number, scores the rest (empty prediction included), writes the outputs', async () => {
    const { file, dir } = predictionsFile();
    const outDir = join(dir, 'out');
    const r = await runCaptured(['metrics', '--predictions', file, ...BERT_ARGS, '--out', outDir, '--json']);
    expect(r.code).toBe(0);
    const events = jsonLines(r.stdout);
    expect(events.filter((e) => e.type === 'skipped-line').map((e) => [e.line, e.reason])).toEqual([
      [2, expect.stringMatching(/^malformed JSON/)],
      [5, 'missing "reference"'],
    ]);
    const result = events[events.length - 1]!;
    expect(result.type).toBe('metrics');
    const m = result.metrics as Record<string, number>;
    expect(m).toMatchObject({ count: ref.cases.length, empty_predictions: 1 });
    for (const k of ['meteor', 'bleu_4', 'rouge_l', 'cider_d', 'bertscore_f1', 'distinct_1'])
      expect(typeof m[k]).toBe('number');
    // per-sample BERTScore equals bert_score's, empty prediction 0
    const samples = readFileSync(join(outDir, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; metrics: Record<string, number> });
    expect(samples.map((s) => s.id)).toEqual(ref.cases.map((_, i) => `p${i}`));
    samples.forEach((s, i) => expect(Math.abs(s.metrics.bertscore_f1! - ref.cases[i]!.f1)).toBeLessThan(1e-4));
    const metricsJson = JSON.parse(readFileSync(join(outDir, 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(metricsJson).toMatchObject({ ...m, skipped_lines: 2, predictions_file: file });
  });

  it('human output: a metrics table on stdout, each skipped line with file:line on stderr', async () => {
    const { file } = predictionsFile();
    const r = await runCaptured(['metrics', '--predictions', file, '--metrics', 'meteor,rouge,diversity']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${ref.cases.length} predictions \\(1 empty\\), 2 line\\(s\\) skipped`));
    expect(r.stdout).toMatch(/^ {2}meteor +\d\.\d{4}$/m);
    expect(r.stdout).not.toMatch(/bertscore/);
    expect(r.stderr).toContain(`${file}:2: malformed JSON`);
    expect(r.stderr).toContain(`${file}:5: missing "reference" (line skipped)`);
  });

  it("--metrics takes the registry's keys and aliases alike (cider_d, rouge-l)", async () => {
    const { file } = predictionsFile();
    const r = await runCaptured(['metrics', '--predictions', file, '--metrics', 'cider_d,rouge-l', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = jsonLines(r.stdout).at(-1)!.metrics as Record<string, number>;
    expect(typeof m.cider_d).toBe('number');
    expect(typeof m.rouge_l).toBe('number');
    expect(m.meteor).toBeUndefined();
  });

  it('gives clear errors: a missing model (with a hint), an unknown metric, a missing file', async () => {
    const { file, dir } = predictionsFile();
    const m = await runCaptured([
      'metrics',
      '--predictions',
      file,
      '--bert-model',
      join(dir, 'no-model'),
      '--bert-layer',
      '3',
      '--backend',
      'cpu',
    ]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/\[E_SCORER\] bertscore could not load: model folder not found/);
    expect(m.stderr).toMatch(
      /hint: .*pass a local model folder with --bert-model, or leave bertscore out of --metrics/,
    );
    const u = await runCaptured(['metrics', '--predictions', file, '--metrics', 'meteor,bleurt']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/\[E_METRICS_UNKNOWN\] unknown metric bleurt/);
    // Bad option values share the one code of bad arguments (E_BAD_OPTION was a second name for it).
    const o = await runCaptured(['metrics', '--predictions', file, '--siglip-padding', 'wide']);
    expect(o.code).toBe(1);
    expect(o.stderr).toContain('[E_BAD_ARGUMENT] --siglip-padding must be max_length or longest');
    const f = await runCaptured(['metrics', '--predictions', join(dir, 'nope.jsonl'), '--json']);
    expect(f.code).toBe(1);
    expect(jsonLines(f.stdout)[0]).toMatchObject({ type: 'error', code: 'E_PREDICTIONS_FILE' });
  });

  it('kvc parity runs the bertscore reference case', async () => {
    const r = await runCaptured(['parity', join(REF, 'bertscore'), '--json']);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)[0]).toMatchObject({ type: 'parity', kind: 'bertscore', pass: true });
  });

  it('--metrics siglip decodes each video from --data and scores it; --siglip-padding longest changes the text input', async () => {
    // The tiny SigLIP with a WordPiece tokenizer (the BERTScore fixture's) and a 56x56 SigLIP processor.
    const model = mkdtempSync(join(tmpdir(), 'kvc-siglip-'));
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(REF, 'siglip', 'model', f), join(model, f));
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(BERT, f), join(model, f));
    const proc = JSON.parse(
      readFileSync(join(REF, 'processors', 'siglip', 'preprocessor_config.json'), 'utf8'),
    ) as object;
    writeFileSync(
      join(model, 'preprocessor_config.json'),
      JSON.stringify({ ...proc, size: { height: 56, width: 56 } }),
    );
    const data = mkdtempSync(join(tmpdir(), 'kvc-siglip-data-'));
    mkdirSync(join(data, 'videos'));
    for (const [name, shift] of [
      ['a.mp4', 0],
      ['b.mp4', 90],
    ] as const) {
      const frames = Array.from({ length: 8 }, (_, i) => ({
        width: 64,
        height: 48,
        data: new Uint8Array(64 * 48 * 3).map((_, k) => (k * 5 + i * 30 + shift) % 256),
      }));
      await lastValueFrom(encodeVideo(frames, join(data, 'videos', name), { fps: 8 }), { defaultValue: undefined });
    }
    const file = join(data, 'preds.jsonl');
    writeFileSync(
      file,
      [
        ['a.mp4', ref.cases[0]!],
        ['b.mp4', ref.cases[2]!],
        ['a.mp4', ref.cases[3]!],
      ]
        .map(([video, c], i) =>
          JSON.stringify({
            id: `v${i}`,
            video,
            prediction: (c as RefCase).candidate,
            reference: (c as RefCase).reference,
          }),
        )
        .join('\n'),
    );
    const run = async (padding: string) => {
      const outDir = join(data, `out-${padding}`);
      const r = await runCaptured([
        'metrics',
        '--predictions',
        file,
        '--metrics',
        'siglip,meteor',
        '--siglip-model',
        model,
        '--siglip-padding',
        padding,
        '--data',
        data,
        '--frames',
        '4',
        '--backend',
        'cpu',
        '--out',
        outDir,
        '--json',
      ]);
      expect(r.code, r.stderr).toBe(0);
      const lines = readFileSync(join(outDir, 'predictions.jsonl'), 'utf8').trim().split('\n');
      return lines.map((l) => (JSON.parse(l) as { metrics: Record<string, number> }).metrics.siglip!);
    };
    const maxLength = await run('max_length');
    expect(maxLength).toHaveLength(3);
    for (const v of maxLength) expect(v > 0 && v < 1).toBe(true);
    const longest = await run('longest');
    expect(longest.every((v, i) => v !== maxLength[i])).toBe(true);
  });
});
