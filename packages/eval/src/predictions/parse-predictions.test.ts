import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePredictionsJsonl } from './parse-predictions.js';
import { readPredictionsFile } from './read-predictions-file.js';
import { writeFileAtomic } from './write-file-atomic.js';

const LINES = [
  JSON.stringify({
    id: 'a',
    video: 'v/a.mp4',
    prediction: '남자가 걷는다.',
    reference: '남자가 걷고 있다.',
    eos_reached: true,
  }),
  '{"prediction": "broken", ',
  JSON.stringify({ prediction: '', reference: '빈 예측' }),
  '',
  JSON.stringify({ prediction: 'no reference' }),
  JSON.stringify([1, 2]),
  JSON.stringify({ id: 7, prediction: 3, reference: 'x' }),
  JSON.stringify({ id: 8, prediction: 'x', reference: ['a', 'b'] }),
  '   ',
  JSON.stringify({ prediction: 'ok', reference: 'ok', eosReached: false }),
];

describe('parsePredictionsJsonl', () => {
  const parsed = parsePredictionsJsonl(LINES.join('\n'));

  it('keeps valid lines (empty predictions included) with ids, videos and EOS flags', () => {
    expect(parsed.records).toEqual([
      { id: 'a', video: 'v/a.mp4', prediction: '남자가 걷는다.', reference: '남자가 걷고 있다.', eosReached: true },
      { id: 'line-3', prediction: '', reference: '빈 예측' },
      { id: 'line-10', prediction: 'ok', reference: 'ok', eosReached: false },
    ]);
    expect(parsed.emptyPredictions).toBe(1);
  });

  it('reports every bad line with its 1-based number and reason, skipping blank lines silently', () => {
    expect(parsed.issues.map((i) => i.line)).toEqual([2, 5, 6, 7, 8]);
    const reasons = parsed.issues.map((i) => i.reason);
    expect(reasons[0]).toMatch(/^malformed JSON/);
    expect(reasons[1]).toBe('missing "reference"');
    expect(reasons[2]).toMatch(/not a JSON object \(got an array\)/);
    expect(reasons[3]).toMatch(/"prediction" is not a string \(got number\)/);
    expect(reasons[4]).toMatch(/"reference" is not a string \(got an array\)/);
  });

  it('accepts CRLF line endings and a BOM', () => {
    const r = parsePredictionsJsonl('\uFEFF' + LINES[0] + '\r\n' + LINES[2] + '\r\n');
    expect(r.issues).toEqual([]);
    expect(r.records).toHaveLength(2);
  });
});

describe('readPredictionsFile / writeFileAtomic', () => {
  it('reads a file and gives a typed error with the path when it is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-preds-'));
    const file = join(dir, 'p.jsonl');
    writeFileSync(file, LINES.join('\n'));
    const r = await readPredictionsFile(file);
    expect(r.records).toHaveLength(3);
    expect(r.file).toBe(file);
    await expect(readPredictionsFile(join(dir, 'nope.jsonl'))).rejects.toMatchObject({
      code: 'E_PREDICTIONS_FILE',
      context: { file: join(dir, 'nope.jsonl') },
    });
  });

  it('replaces the file in one rename and leaves no temporary file behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvc-atomic-'));
    const file = join(dir, 'sub', 'metrics.json');
    await writeFileAtomic(file, 'one');
    await writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['metrics.json']);
  });
});
