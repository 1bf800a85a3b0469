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
 *
 * One pass over the visited key blocks, with lazy rescaling (as FlashAttention-4 does). Each
 * invocation keeps its row's reference maximum m and sum l in registers and writes
 * P = exp(score − m) (f16, unnormalized) for P·v. A result matrix cannot be scaled per row in
 * registers, so rescaling o is a round trip through workgroup memory. m therefore moves only when a
 * row's block maximum passes it by more than RESCALE_MARGIN (P ≤ e^RESCALE_MARGIN stays far inside
 * f16), and the round trip runs only in blocks where some row's m moved (all rows together:
 * subgroup-matrix calls must be uniform). Scores settle within a few blocks, so nearly every block
 * is one q·kᵀ and one P·v; the two-pass kernel this replaced computed q·kᵀ twice and the softmax
 * loops twice. o is divided by l at the end, through the same round trip. Seed shape (B4 H16/8
 * T5376 d128, causal + padding) on an H200: 11.6 ms against the two-pass kernel's 29.0 ms in the
 * same call (torch SDPA bf16: 0.82 ms; bench/results/2026-11-28-one-pass-attention-h200.md).
 *
 * The round trip is row-major; the invocations scale consecutive words, each reading its word's
 * row factor from Fs. Whether some row's m moved is one workgroup flag, set by atomicOr from
 * every invocation (no divergent branch near the subgroup-matrix calls).
 *
 * Every workgroup variable is a multiple of 16 bytes (workgroup-alignment.test.ts checks all
 * tensor-core kernels). The first version of this kernel (session 8) declared the flag as one u32
 * beside Ps; on an H200 that put Ps off a 16-byte boundary, and every P·v load of Ps read garbage
 * while P itself was right (the emulation cannot show it). It was taken for a bug in the rescale
 * until bench/gpu/acc-load-probe.mjs reproduced it with a lone u32 beside an f16 array.
 *
 * The statistics are (m, l, ·) with l = Σ exp(score − m), the layout the backward kernels read:
 * they only need P = exp(score − m) / l, whichever m it is. A row that sees no key keeps
 * m = MASK_MIN, so each of its P is exp(0) = 1: the uniform average, as the tfjs op gives.
 */
import { FLASH_PACK_ROWS, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import {
  FLASH_DIRECT_LANES,
  accumulateRows,
  bySubgroup,
  directHeader,
  range,
  rowAccs,
  rowKernelMain,
  rowStrip,
  storeRows,
} from './flash-attention-sm-direct-wgsl.js';
import { biasBinding, flashHeader, visitsCode } from './flash-attention-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

/** How far a row's maximum may pass its reference m before o is rescaled: P ≤ e⁸ ≈ 2981 in f16. */
export const RESCALE_MARGIN = 8;

/**
 * o's rows times each row's factor (`Fs[row]`, written by its invocation before this runs), through
 * the f32 strip Ss of `rows` rows × 16·nj columns: nj head tiles of every row tile a round.
 */
function rescaleRows(dn: number, nj: number, rows: number): string {
  const width = 16 * nj,
    rt = rows / 16;
  return range(Math.ceil(dn / nj))
    .map((g) => {
      const tiles = range(rt * nj)
        .map((x) => [g * nj + Math.floor(x / rt), x % rt] as const)
        .filter(([n]) => n < dn);
      const at = (n: number, i: number) => `${16 * i * width + (n - g * nj) * 16}u`;
      return `${tiles.map(([n, i]) => `${smStore('Ss', at(n, i), `o${n}_${i}`, false, `${width}u`)};`).join(' ')}
    workgroupBarrier();
    for (var k = 0u; k < ${(rows * width) / FLASH_DIRECT_LANES}u; k++) { let e = k * ${FLASH_DIRECT_LANES}u + lid; Ss[e] *= Fs[e / ${width}u]; }
    workgroupBarrier();
    ${tiles.map(([n, i]) => `o${n}_${i} = ${smLoad('Acc', 'Ss', at(n, i), false, `${width}u`)};`).join(' ')}
    workgroupBarrier();`;
    })
    .join('\n    ');
}

/**
 * rescaleRows when `groups` subgroups each hold `dn` head tiles of o: a round per tile (the same tile of
 * each subgroup), each subgroup through its own 256 words of Ss.
 */
function rescaleRowsBySubgroup(dn: number, groups: number): string {
  return range(dn)
    .flatMap((n) => range(2).map((i) => [n, i] as const))
    .map(
      ([n, i]) => `${bySubgroup(groups, (g) => `${smStore('Ss', `${256 * g}u`, `o${n}_${i}`, false, '16u')};`)}
    workgroupBarrier();
    for (var e = lid; e < ${256 * groups}u; e += ${FLASH_DIRECT_LANES * groups}u) { Ss[e] *= Fs[${16 * i}u + (e % 256u) / 16u]; }
    workgroupBarrier();
    ${bySubgroup(groups, (g) => `o${n}_${i} = ${smLoad('Acc', 'Ss', `${256 * g}u`, false, '16u')};`)}
    workgroupBarrier();`,
    )
    .join('\n    ');
}

/**
 * The softmax's first loop with the block's key bias staged in Bk (FlashTiles.sb): to the block's width, a
 * constant, the keys past S skipped inside; each score by score()'s operations in its order
 * (flash-attention-wgsl.ts): the same bits where the compiler contracts both alike (lavapipe: tested).
 */
function stagedScores(s: FlashShape, bc: number, rows: number): string {
  const masked = s.causal
    ? `select(dot * SCALE + Bk[c], dot * SCALE + MASK_MIN, c0 + c > OFFSET + t)`
    : 'dot * SCALE + Bk[c]';
  return `for (var c = 0u; c < ${bc}u; c++) {
        if (c < n) {
          let dot = Ss[c * ${rows}u + lid];
          let sc = ${masked};
          Ss[c * ${rows}u + lid] = sc;
          mx = max(mx, sc);
        }
      }`;
}

export function flashForwardSmDirectWgsl(s: FlashShape, { br, bc, sg = 1, sb = 0 }: FlashTiles): string {
  if (bc % 16 !== 0 || FLASH_PACK_ROWS % bc !== 0 || s.d % 16 !== 0) {
    throw new Error(`flash attention (direct): key block ${bc} and head size ${s.d} must be multiples of 16`);
  }
  const nj = bc / 16,
    dn = s.d / 16;
  if (sg !== 1 && sg !== 2) throw new Error(`flash attention (direct forward): ${sg} subgroups, not 1 or 2`);
  if (dn % sg !== 0)
    throw new Error(`flash attention (direct forward): head size ${s.d} does not split into ${sg} halves of 16`);
  // 32 query rows a workgroup, or 16 (one row tile: half the accumulators, twice the workgroups; the softmax on
  // half the invocations). Two subgroups take 32 rows.
  const rows = br;
  if (rows !== 16 && rows !== 32) throw new Error(`flash attention (direct forward): ${rows} query rows, not 16 or 32`);
  if (sg === 2 && rows !== 32) throw new Error('flash attention (direct forward): two subgroups take 32 query rows');
  const rt = rows / 16;
  // The staged key bias (FlashTiles.sb) where the bias is per key; other biases keep score().
  const staged = sb === 1 && s.bias === 'keys';
  const threads = FLASH_DIRECT_LANES * sg,
    tilesEach = dn / sg;
  const each = (share: (g: number) => string) => bySubgroup(sg, share);
  const visits = visitsCode(s, 'r0', `${rows}u`, 'c0');
  const inputs = [
    ['Q', 'read', 'f16-tiles'],
    ['K', 'read', 'f16-tiles'],
    ['V', 'read', 'f16-tiles'],
    ...biasBinding(s),
  ] as const;
  const accs = rowAccs('o', tilesEach, rows);
  // Whole blocks store straight to o; the last, partial one through Ss with a bounds check.
  const whole = each((g) =>
    range(rt * tilesEach)
      .map((x) => {
        const [n, i] = [Math.floor(x / rt), x % rt];
        const at = `oBase + (r0 + ${16 * i}u) * D + ${16 * (g * tilesEach + n)}u`;
        return `${smStore('O', at, `o${n}_${i}`, false, 'D')};`;
      })
      .join('\n    '),
  );
  const rescale = sg === 1 ? rescaleRows(dn, nj, rows) : rescaleRowsBySubgroup(tilesEach, sg);
  const arrays = `var<workgroup> Ss: array<f32, ${Math.max(rows * bc, 256 * sg)}>;
var<workgroup> Ps: array<f16, ${rows * bc}>;
var<workgroup> Fs: array<f32, ${rows}>;
var<workgroup> moved: array<atomic<u32>, 4>;${staged ? `\nvar<workgroup> Bk: array<f32, ${bc}>;` : ''}`; // 4: 16 bytes (see above)
  // With two subgroups, each computes one 16-row tile of the score strip and keeps half of o's head tiles; the
  // first subgroup's invocations (one a row) run the softmax.
  return `${directHeader}
${flashHeader(s, [...inputs, ['O', 'read_write'], ['ST', 'read_write']], threads)}
${rowKernelMain(s, arrays, rows, threads)}
  var m = MASK_MIN; var l = 0.0;
  var started = false;
  ${accs.map((a) => `var ${a} = Acc();`).join(' ')}
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visits}) { continue; }
    // Every invocation read the flag before the last block's closing barrier.
    atomicStore(&moved[0], 0u);${
      staged
        ? `
    // The block's key bias, read by the softmax after the strip's barrier (keys past S repeat the last; unused).
    if (lid < ${bc}u) { Bk[lid] = Bias[b * S + min(c0 + lid, S - 1u)]; }`
        : ''
    }
    ${sg === 1 ? rowStrip('Ss', 'Q', 'K', nj, dn, rows) : each((g) => rowStrip('Ss', 'Q', 'K', nj, dn, rows, g))}
    workgroupBarrier();
    if (lid < ${rows}u) {
      let n = min(${bc}u, S - c0);
      var mx = MASK_MIN;
      ${
        staged
          ? stagedScores(s, bc, rows)
          : `for (var c = 0u; c < n; c++) {
        let sc = score(Ss[c * ${rows}u + lid], b, t, c0 + c);
        Ss[c * ${rows}u + lid] = sc;
        mx = max(mx, sc);
      }`
      }
      let grew = mx > m + ${RESCALE_MARGIN.toFixed(1)};
      let alpha = select(1.0, exp(m - mx), grew);
      m = select(m, mx, grew);
      atomicOr(&moved[0], select(0u, 1u, grew));
      var sum = 0.0;
      for (var c = 0u; c < ${bc}u; c++) {
        let p = select(0.0, exp(Ss[c * ${rows}u + lid] - m), r0 + lid < T && c < n);
        Ps[c * ${rows}u + lid] = f16(p);
        sum += p;
      }
      l = l * alpha + sum;
      Fs[lid] = alpha;
    }
    // P and the factors are complete before the subgroups read them as matrices.
    workgroupBarrier();
    // Uniform: the whole workgroup rescales o, each row by its own factor (1 where m stayed).
    if (workgroupUniformLoad(&moved[0]) != 0u && started) {
    ${rescale}
    }
    started = true;
    ${each((g) => accumulateRows('o', 'Ps', 'V', nj, tilesEach, rows, g * tilesEach))}
    workgroupBarrier();
  }
  if (lid < ${rows}u) { Fs[lid] = select(0.0, 1.0 / l, l > 0.0); }
  workgroupBarrier();
  ${rescale}
  if (r0 + ${rows}u <= T) {
    ${whole}
  } else {
    ${storeRows('o', 'O', tilesEach, '', rows, sg)}
  }
  if (lid < ${rows}u && r0 + lid < T) { ST[(bh * T + r0 + lid) * 3u] = m; ST[(bh * T + r0 + lid) * 3u + 1u] = l; }
}`;
}
