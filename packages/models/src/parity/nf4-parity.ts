/**
 * Parity of the host NF4 quantizer with bitsandbytes (kind `nf4`, test/fixtures/reference/nf4 and
 * nf4-double, made by test/fixtures/make_nf4_reference.py): `weight` in, the NF4 `codes` and the
 * `dequantized` values dequantize_4bit returns out.
 *
 * Codes must be equal. Dequantized values: within 1e-6 absolute without double quantization (one f32
 * product NF4[c]·absmax, which we compute identically). With it, the one step whose f32 result depends
 * on evaluation order is the offset (the mean of the nb block scales): a summation in another order is
 * off by at most (⌈log₂ nb⌉ + 1)·u·max(absmax) (pairwise summation plus the division; u = 2⁻²⁴). The
 * offset enters a dequantized value twice (through absmax − offset, scaled back by the 8-bit code ≤ 1,
 * and added back), and three f32 roundings follow (code·absmax2, + offset, · NF4[c]), each ≤ u·max|W|
 * since max(absmax) = max|W|. So |Δ| ≤ (2⌈log₂ nb⌉ + 5)·u·max|W|, and never below the plain case's 1e-6.
 */
import { join, resolve } from 'node:path';
import { SafetensorsFile } from '../io/safetensors-file.js';
import { dequantizeNf4 } from '../quant/dequantize-nf4.js';
import { NF4_BLOCKSIZE } from '../quant/nf4-matrix.js';
import { quantizeNf4 } from '../quant/quantize-nf4.js';
import { compare } from './compare.js';
import { makeReport, type ParityReport } from './parity-report.js';
import { readCaseJson } from './read-case.js';

/** Absolute tolerance of `dequantized` without double quantization. */
export const NF4_PARITY_TOL = 1e-6;

const F32_UNIT = 2 ** -24;

/** Absolute tolerance of `dequantized` with double quantization of `blocks` scales, for max|W| (derivation above). */
export const nf4DoubleQuantTolerance = (blocks: number, maxAbsWeight: number): number =>
  Math.max(NF4_PARITY_TOL, (2 * Math.ceil(Math.log2(Math.max(blocks, 1))) + 5) * F32_UNIT * maxAbsWeight);

export async function runNf4Parity(caseDir: string): Promise<ParityReport> {
  const c = await readCaseJson(caseDir);
  const blocksize = typeof c.blocksize === 'number' ? c.blocksize : NF4_BLOCKSIZE;
  const doubleQuant = c.double_quant === true;
  const f = await SafetensorsFile.open(join(resolve(caseDir), 'weights.safetensors'));
  try {
    const shape = [...f.info('weight').shape];
    const weight = await f.readFloat32('weight');
    const q = quantizeNf4(weight, { blocksize, doubleQuant });
    const deq = dequantizeNf4(q);
    let maxAbs = 0;
    for (const v of weight) maxAbs = Math.max(maxAbs, Math.abs(v));
    const tol = doubleQuant ? nf4DoubleQuantTolerance(q.absmax.length, maxAbs) : NF4_PARITY_TOL;
    const shapes = (name: string) => ({ actual: shape, expected: [...f.info(name).shape] });
    const checks = [
      compare('codes', q.codes, await f.readFloat32('codes'), 'exact', 0, shapes('codes')),
      compare('dequantized', deq, await f.readFloat32('dequantized'), 'abs', tol, shapes('dequantized')),
    ];
    return makeReport('nf4', resolve(caseDir), checks);
  } finally {
    await f.close();
  }
}
