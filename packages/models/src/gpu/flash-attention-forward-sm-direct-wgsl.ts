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
 * One pass over the visited key blocks, with lazy rescaling. Each invocation keeps its row's
 * reference m and sum l in registers and writes P = exp(score − m) (f16, unnormalized) for P·v.
 * A result matrix cannot be scaled per row in registers: rescaling o is a round trip through
 * workgroup memory. So m moves only when a row's block maximum exceeds it by more than
 * RESCALE_MARGIN (then P ≤ e^RESCALE_MARGIN, far inside f16), and the round trip runs only in
 * blocks where some row's m moved (all rows together: subgroup-matrix calls are uniform). Scores
 * settle within a few blocks, so nearly every block is one q·kᵀ and one P·v; the two-pass kernel
 * this replaced computed q·kᵀ twice. o is divided by l at the end, through the same round trip.
 * The statistics are (m, l, ·) with l = Σ exp(score − m), the layout the backward kernels read:
 * they only need P = exp(score − m) / l, whichever m it is.
 * Writes o (f32) and the statistics in the layout the backward kernels read.
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

const ROWS = FLASH_DIRECT_ROWS;

/** How far a row's maximum may pass its reference m before o is rescaled: P ≤ e⁸ ≈ 2981 in f16. */
export const RESCALE_MARGIN = 8;

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
  const accs = rowAccs('o', dn);
  // Rows × o's columns through Ss, nj head tiles (16·nj columns of 32 rows) a round, row-major:
  // (row, column) at row·16·nj + column. (Column-major loads of result matrices gave wrong values
  // on an H200, where the emulation agreed.) Each invocation scales its own row, starting at its
  // own column, so that the 32 invocations touch 32 different banks.
  const w = 16 * nj;
  const rescale = (factor: string) =>
    range(Math.ceil(dn / nj))
      .map((g) => {
        const tiles = range(2 * nj)
          .map((x) => [g * nj + (x >> 1), x % 2] as const)
          .filter(([n]) => n < dn);
        const at = (n: number, i: number) => `${16 * i * w + (n - g * nj) * 16}u`;
        return `${tiles.map(([n, i]) => `subgroupMatrixStore(&Ss, ${at(n, i)}, o${n}_${i}, false, ${w}u);`).join(' ')}
    workgroupBarrier();
    for (var c = 0u; c < ${w}u; c++) { let x = lid * ${w}u + (c + lid) % ${w}u; Ss[x] *= ${factor}; }
    workgroupBarrier();
    ${tiles.map(([n, i]) => `o${n}_${i} = subgroupMatrixLoad<Acc>(&Ss, ${at(n, i)}, false, ${w}u);`).join(' ')}
    workgroupBarrier();`;
      })
      .join('\n    ');
  const whole = range(2 * dn)
    .map((x) => {
      const [n, i] = [x >> 1, x % 2];
      return `subgroupMatrixStore(&O, oBase + (r0 + ${16 * i}u) * D + ${16 * n}u, o${n}_${i}, false, D);`;
    })
    .join('\n    ');
  return `${directHeader}
${flashHeader(s, [...inputs, ['O', 'read_write'], ['ST', 'read_write']], ROWS)}
${rowKernelMain(s, `var<workgroup> Ss: array<f32, ${ROWS * bc}>;\nvar<workgroup> Ps: array<f16, ${ROWS * bc}>;\nvar<workgroup> moved: u32;`)}
  var m = MASK_MIN; var l = 0.0;
  var started = false;
  ${accs.map((a) => `var ${a} = Acc();`).join(' ')}
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visits}) { continue; }
    // Read by every invocation before the last block's closing barrier; set again after this one's first.
    if (lid == 0u) { moved = 0u; }
    ${rowStrip('Ss', 'Q', 'K', nj, dn)}
    workgroupBarrier();
    let n = min(${bc}u, S - c0);
    var mx = MASK_MIN;
    for (var c = 0u; c < n; c++) { mx = max(mx, score(Ss[c * ${ROWS}u + lid], b, t, c0 + c)); }
    var alpha = 1.0;
    if (mx > m + ${RESCALE_MARGIN.toFixed(1)}) { alpha = exp(m - mx); m = mx; moved = 1u; }
    var sum = 0.0;
    for (var c = 0u; c < ${bc}u; c++) {
      let j = c0 + c;
      let p = select(0.0, exp(score(Ss[c * ${ROWS}u + lid], b, t, min(j, S - 1u)) - m), r0 + lid < T && j < S);
      Ps[c * ${ROWS}u + lid] = f16(p);
      sum += p;
    }
    l = l * alpha + sum;
    // Uniform: the whole subgroup rescales o, with each invocation's own factor (1 where m stayed).
    if (workgroupUniformLoad(&moved) != 0u && started) {
    ${rescale('alpha')}
    }
    started = true;
    ${accumulateRows('o', 'Ps', 'V', nj, dn)}
    workgroupBarrier();
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  ${rescale('inv')}
  if (r0 + ${ROWS}u <= T) {
    ${whole}
  } else {
    ${storeRows('o', 'O', dn)}
  }
  if (r0 + lid < T) { ST[(bh * T + r0 + lid) * 3u] = m; ST[(bh * T + r0 + lid) * 3u + 1u] = l; }
}`;
}
