/** Reading a predictions JSONL file from disk (see {@link parsePredictionsJsonl} for the format). */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PredictionsFileError } from '../stream/evaluation-errors.js';
import { type ParsedPredictionsJsonl, parsePredictionsJsonl } from './parse-predictions.js';

/** Read and parse `file`; throws {@link PredictionsFileError} only when the file cannot be read. */
export async function readPredictionsFile(file: string): Promise<ParsedPredictionsJsonl & { readonly file: string }> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PredictionsFileError(
      code === 'ENOENT' ? 'predictions file not found' : 'cannot read the predictions file',
      { file: path, reason: (err as Error).message },
      'pass a JSONL file with one {"prediction": ..., "reference": ...} object a line',
    );
  }
  return { file: path, ...parsePredictionsJsonl(text) };
}
