/**
 * The tensor-core NF4 GEMM (subgroup matrices, 16×16×16, f16 × f16 → f32), same products as
 * nf4-gemm-portable-wgsl.ts. One subgroup per workgroup with a `tm × tn` register tile, as in
 * gemm-subgroup-matrix-wgsl.ts (Tint wants workgroup-uniform load/store offsets). A (packed f16) is
 * loaded from storage; each K step of `bk` the workgroup dequantizes its [16·tn × bk] block of W
 * (code → table value × block scale in f32, one rounding to f16) into workgroup memory, in W's
 * stored orientation, and the right-hand tiles are loaded from there (colMajor for the forward).
 * When W's rows hold whole code words (cols % 8 == 0, all real models) each invocation decodes 8
 * elements from one u32 of codes and one scale; otherwise element by element.
 */
import { padTo, tileOf } from './gemm-layout.js';
import { nf4WeightDims, type Nf4GemmShape } from './nf4-gemm-portable-wgsl.js';
import { nf4DecodeWgsl, nf4WordShift } from './nf4-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

export interface Nf4SubgroupMatrixTiling {
  readonly tm: number;
  readonly tn: number;
  /** K per staged block of W: 16, 32 or 64. */
  readonly bk: number;
  /**
   * Where the word path looks codes up: a 16-entry table in workgroup memory, or the per-invocation
   * (private) copy, which a dynamically indexed array may put in slow local memory (benchmarks).
   */
  readonly lut?: 'workgroup' | 'private';
}

export const DEFAULT_NF4_SUBGROUP_MATRIX_TILING: Nf4SubgroupMatrixTiling = { tm: 4, tn: 4, bk: 32, lut: 'workgroup' };

const lines = (n: number, f: (i: number) => string, sep = '\n  '): string =>
  Array.from({ length: n }, (_, i) => f(i)).join(sep);
const grid = (t: Nf4SubgroupMatrixTiling, f: (i: number, j: number) => string): string =>
  lines(t.tm, (i) => lines(t.tn, (j) => f(i, j)));

/** Dequantizes op(W)'s block at (k0, col0) into Ws, kept as W stores it: [bn][bk] or [bk][bn]. */
function stageWeight(s: Nf4GemmShape, t: Nf4SubgroupMatrixTiling): string {
  const bn = 16 * t.tn;
  const [rows, cols] = nf4WeightDims(s);
  const [tileRows, tileCols] = s.transB ? [bn, t.bk] : [t.bk, bn];
  const [r0, c0] = s.transB ? ['col0', 'k0'] : ['k0', 'col0'];
  const byWord = cols % 8 === 0 && s.blocksize % 8 === 0;
  const lut = t.lut === 'private' ? 'NF4_VALUES' : 'NF4_LUT';
  const body = byWord
    ? `if (r < ${rows}u && c < ${cols}u) {
        let e = r * ${cols}u + c; let q = Q[e >> 3u]; let sc = S[e / ${s.blocksize}u];
        ${lines(8, (h) => `Ws[d + ${h}u] = f16(${lut}[(q >> ${nf4WordShift(h)}u) & 15u] * sc);`, '\n        ')}
      } else {
        for (var h = 0u; h < 8u; h++) { Ws[d + h] = 0.0h; }
      }`
    : `for (var h = 0u; h < 8u; h++) {
        var v = 0.0;
        if (r < ${rows}u && c + h < ${cols}u) { v = nf4At(r * ${cols}u + c + h); }
        Ws[d + h] = f16(v);
      }`;
  return `for (var u = lid; u < ${(tileRows * tileCols) / 8}u; u += 32u) {
      let lr = u / ${tileCols / 8}u; let lc = 8u * (u % ${tileCols / 8}u);
      let r = ${r0} + lr; let c = ${c0} + lc; let d = lr * ${tileCols}u + lc;
      ${body}
    }`;
}

/** The 16×16 tiles of C: whole tiles stored directly, edge tiles through a scratch with bounds checks. */
function storeTiles(s: Nf4GemmShape, t: Nf4SubgroupMatrixTiling): string {
  return grid(t, (i, j) => {
    const r = `row0 + ${16 * i}u`,
      c = `col0 + ${16 * j}u`;
    return `if (${r} + 16u <= M && ${c} + 16u <= ${s.n}u) {
    ${smStore('C', `(${r}) * ${s.n}u + ${c}`, `c${i}_${j}`, false, `${s.n}u`)};
  } else if (${r} < M && ${c} < ${s.n}u) {
    ${smStore('edge', '0u', `c${i}_${j}`, false, '16u')};
    workgroupBarrier();
    for (var e = lid; e < 256u; e += 32u) {
      let r = ${r} + e / 16u; let c = ${c} + e % 16u;
      if (r < M && c < ${s.n}u) { C[r * ${s.n}u + c] = edge[e]; }
    }
    workgroupBarrier();
  }`;
  });
}

export function nf4SubgroupMatrixGemmWgsl(
  s: Nf4GemmShape,
  t: Nf4SubgroupMatrixTiling = DEFAULT_NF4_SUBGROUP_MATRIX_TILING,
): string {
  if (![1, 2, 4, 8].includes(t.tm) || ![1, 2, 4, 8].includes(t.tn) || ![16, 32, 64].includes(t.bk)) {
    // A's row blocks must divide PACK_ALIGN (128) so that loads never leave the padded operand.
    throw new RangeError(`NF4 subgroup-matrix tiling ${t.tm}×${t.tn}/${t.bk}: tm, tn in 1,2,4,8; bk in 16,32,64`);
  }
  const lda = padTo(s.k),
    kp = padTo(s.k),
    bn = 16 * t.tn;
  // A is tile-major (gemm-layout.ts): a tile index (clamped by robustness) and offset 0. The K steps
  // inside a staged block are unrolled, so the staged weights' offsets are constants too.
  const aLoad = (i: number, kk: number) =>
    smLoad('L', `A[${tileOf(`row0 + ${16 * i}u`, `k0 + ${kk}u`, lda)}]`, '0u', false, '16u');
  const wLoad = (j: number, kk: number) =>
    s.transB
      ? smLoad('R', 'Ws', `${16 * j * t.bk + kk}u`, true, `${t.bk}u`)
      : smLoad('R', 'Ws', `${kk * bn + 16 * j}u`, false, `${bn}u`);
  const steps = Array.from({ length: t.bk / 16 }, (_, q) => 16 * q);
  return `enable f16;
enable chromium_experimental_subgroup_matrix;
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
@group(0) @binding(0) var<storage, read> A: array<array<f16, 256>>;
@group(0) @binding(1) var<storage, read> Q: array<u32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> Ws: array<f16, ${bn * t.bk}>;
var<workgroup> edge: array<f32, 256>;
var<workgroup> NF4_LUT: array<f32, 16>;
${nf4DecodeWgsl(s.blocksize)}
@compute @workgroup_size(32) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wg.y * ${16 * t.tm}u; let col0 = wg.x * ${bn}u;
  // M from C's length at run time: one pipeline for every row count (a generation's prompt length).
  let M = arrayLength(&C) / ${s.n}u;
  ${grid(t, (i, j) => `var c${i}_${j} = Acc();`)}
  if (lid < 16u) { NF4_LUT[lid] = NF4_VALUES[lid]; }
  workgroupBarrier();
  for (var k0 = 0u; k0 < ${kp}u; k0 += ${t.bk}u) {
    ${stageWeight(s, t)}
    workgroupBarrier();
    ${steps
      .map(
        (kk) => `{
    ${lines(t.tm, (i) => `let a${i} = ${aLoad(i, kk)};`)}
    ${lines(t.tn, (j) => `let b${j} = ${wLoad(j, kk)};`)}
    ${grid(t, (i, j) => `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`)}
    }`,
      )
      .join('\n    ')}
    workgroupBarrier();
  }
  ${storeTiles(s, t)}
}`;
}

export const nf4SubgroupMatrixDispatch = (
  s: Nf4GemmShape,
  t: Nf4SubgroupMatrixTiling = DEFAULT_NF4_SUBGROUP_MATRIX_TILING,
): [number, number] => [Math.ceil(s.n / (16 * t.tn)), Math.ceil(s.m / (16 * t.tm))];
