/**
 * The fused attention forward on tensor cores, GEMM-style: one subgroup per workgroup owns 32 query
 * rows (one per invocation) of one (batch, head) and reads q, k and v as zero-padded f16
 * (flash-attention.ts packs them, rows to FLASH_PACK_ROWS) straight from storage into subgroup
 * matrices, as the direct GEMM does (gemm-subgroup-matrix-wgsl.ts); L1 and L2 serve the reuse.
 *
 * Every subgroup-matrix offset is a WGSL constant. Dawn's robustness pass wraps each load or store
 * whose offset, stride and array length are not all constants in a bounds test that returns a zero
 * matrix when it fails (Tint's Robustness transform, PredicateSubgroupMatrixCall); on an H200 that
 * doubled the time of every tensor-core kernel (KVC_DAWN_TOGGLES=disable_robustness showed it).
 * So the packed operands are bound as arrays of 16-row groups (`f16-tiles` bindings:
 * array<array<f16, 16·d>>, a group being d/16 contiguous 16×16 tiles, tile-major as the GEMMs'):
 * a group is picked by an index, which robustness merely clamps, and each tile inside it loads at
 * a constant offset, with the head dimension unrolled. The score and
 * probability strips live in workgroup memory at constant offsets (one subgroup, unrolled tiles).
 * Seed shape (B4 H16/8 T5376 d128, causal + padding) on an H200: 39.5 ms, against 96.6 ms for the
 * staged four-subgroup kernel this replaced and 87.6 ms for this one with computed offsets.
 *
 * Each invocation keeps its row's statistics in registers, with no reduction across invocations.
 * Two passes over the visited key blocks: the first computes each row's maximum m and sum l, the
 * second P = exp(score − m) / l (f16) and P·v. A result matrix cannot be scaled per row in
 * registers, so the online rescaling of flash-attention-forward-wgsl.ts would cost a round trip
 * of o through workgroup memory per key block; the second pass costs one more q·kᵀ instead.
 * Writes o (f32) and the statistics (m, l, ·) in the layout the backward kernels read.
 */
import { FLASH_PACK_ROWS, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import {
  FLASH_DIRECT_ROWS,
  accumulateRows,
  directHeader,
  range,
  rowAccs,
  rowKernelMain,
  rowStrip,
  storeRows,
} from './flash-attention-sm-direct-wgsl.js';
import { biasBinding, flashHeader, visitsCode } from './flash-attention-wgsl.js';
import { smStore } from './subgroup-matrix-io.js';

const ROWS = FLASH_DIRECT_ROWS;

export function flashForwardSmDirectWgsl(s: FlashShape, { bc }: FlashTiles): string {
  if (bc % 16 !== 0 || FLASH_PACK_ROWS % bc !== 0 || s.d % 16 !== 0) {
    throw new Error(`flash attention (direct): key block ${bc} and head size ${s.d} must be multiples of 16`);
  }
  const nj = bc / 16,
    dn = s.d / 16;
  const visits = visitsCode(s, 'r0', `${ROWS}u`, 'c0');
  const inputs = [
    ['Q', 'read', 'f16-tiles'],
    ['K', 'read', 'f16-tiles'],
    ['V', 'read', 'f16-tiles'],
    ...biasBinding(s),
  ] as const;
  const scores = `${rowStrip('Ss', 'Q', 'K', nj, dn)}
    workgroupBarrier();`;
  const accs = rowAccs('o', dn);
  const accumulate = accumulateRows('o', 'Ps', 'V', nj, dn);
  // Whole blocks store straight to o; the last, partial one through Ss with a bounds check.
  const whole = range(2 * dn)
    .map((x) => {
      const [n, i] = [x >> 1, x % 2];
      return `${smStore('O', `oBase + (r0 + ${16 * i}u) * D + ${16 * n}u`, `o${n}_${i}`, false, 'D')};`;
    })
    .join('\n    ');
  const partial = storeRows('o', 'O', dn);
  return `${directHeader}
${flashHeader(s, [...inputs, ['O', 'read_write'], ['ST', 'read_write']], ROWS)}
${rowKernelMain(s, `var<workgroup> Ss: array<f32, ${ROWS * bc}>;\nvar<workgroup> Ps: array<f16, ${ROWS * bc}>;`)}
  var m = MASK_MIN; var l = 0.0;
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visits}) { continue; }
    ${scores}
    let n = min(${bc}u, S - c0);
    var mx = m;
    for (var c = 0u; c < n; c++) { mx = max(mx, score(Ss[c * ${ROWS}u + lid], b, t, c0 + c)); }
    var sum = l * exp(m - mx);
    for (var c = 0u; c < n; c++) { sum += exp(score(Ss[c * ${ROWS}u + lid], b, t, c0 + c) - mx); }
    m = mx; l = sum;
    workgroupBarrier();
  }
  ${accs.map((a) => `var ${a} = Acc();`).join(' ')}
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visits}) { continue; }
    ${scores}
    for (var c = 0u; c < ${bc}u; c++) {
      let j = c0 + c;
      let p = exp(score(Ss[c * ${ROWS}u + lid], b, t, min(j, S - 1u)) - m) / l;
      Ps[c * ${ROWS}u + lid] = f16(select(0.0, p, r0 + lid < T && j < S));
    }
    workgroupBarrier();
    ${accumulate}
    workgroupBarrier();
  }
  if (r0 + ${ROWS}u <= T) {
    ${whole}
  } else {
    ${partial}
  }
  if (r0 + lid < T) { ST[(bh * T + r0 + lid) * 3u] = m; ST[(bh * T + r0 + lid) * 3u + 1u] = l; }
}`;
}
