/**
 * The fused attention backward on tensor cores, part 1: dq, GEMM-style like the forward
 * (flash-attention-forward-sm-direct-wgsl.ts says why: one subgroup, packed f16 operands read as
 * 16-row tiles, every subgroup-matrix offset a constant). One workgroup per 32 query rows (one per
 * invocation; or 16, two invocations a row: FlashTiles.br) of one (batch, head) walks the
 * forward's key blocks: scores and dP = dO·vᵀ on the tensor cores, P = exp(score − m) / l and dS = P ∘ (dP − Δ) in f32 by each row's invocation,
 * then dq += dS·k with dS rounded to f16. Δ = rowsum(dO ∘ O) is computed here in f32 from the f16
 * dO (an f32 copy would be a ninth storage binding, past WebGPU's default limit of eight) and the
 * f32 o, and written to the statistics' third slot for the dk/dv kernel, as
 * flash-attention-dq-wgsl.ts does (and why).
 *
 * With two subgroups (FlashTiles.sg = 2, as the split dk/dv kernel: flash-attention-dkdv-sm-split-wgsl.ts says
 * why), one computes the score strip and the other dP's, side by side, and each keeps half of dq's
 * head tiles; every subgroup's share is its own branch of a switch, so each offset stays a constant.
 */
import type { FlashShape, FlashTiles } from './flash-attention-shape.js';
import { biasBinding, flashHeader, visitsCode } from './flash-attention-wgsl.js';
import {
  FLASH_DIRECT_LANES,
  accumulateRows,
  bySubgroup,
  directHeader,
  rowAccs,
  rowKernelMain,
  rowStrip,
  storeRows,
} from './flash-attention-sm-direct-wgsl.js';

/** Subgroups the dq kernel can split its head tiles over at head size d: 2 where d/16 is even. */
export const dqSubgroups = (d: number): 1 | 2 => ((d / 16) % 2 === 0 ? 2 : 1);

export function flashDqSmDirectWgsl(s: FlashShape, { br, bc, sg = 1 }: FlashTiles): string {
  const nj = bc / 16,
    dn = s.d / 16;
  if (sg !== 1 && sg !== 2) throw new Error(`flash attention (direct dq): ${sg} subgroups, not 1 or 2`);
  if (dn % sg !== 0)
    throw new Error(`flash attention (direct dq): head size ${s.d} does not split into ${sg} halves of 16`);
  const threads = FLASH_DIRECT_LANES * sg;
  // 32 rows: one per invocation. 16: two invocations a row, each taking every other key of a block in
  // the softmax loop; half the accumulators (fewer registers), twice the workgroups.
  const rows = br;
  if (rows !== 16 && rows !== 32) throw new Error(`flash attention (direct dq): ${rows} query rows, not 16 or 32`);
  const share = threads / rows;
  const inputs = [
    ['Q', 'read', 'f16-tiles'],
    ['K', 'read', 'f16-tiles'],
    ['V', 'read', 'f16-tiles'],
    ['DO', 'read', 'f16-tiles'],
    ['O', 'read', 'vec4'],
    ['ST', 'read_write'],
    ...biasBinding(s),
  ] as const;
  // Each subgroup's head tiles of dq: all, or half each.
  const tilesEach = dn / sg;
  const dq = rowAccs('dq', tilesEach, rows);
  const each = (share: (g: number) => string) => bySubgroup(sg, share);
  const strips = `var<workgroup> Ss: array<f32, ${Math.max(rows * bc, 256 * sg)}>;
var<workgroup> DPs: array<f32, ${rows * bc}>;
var<workgroup> DSs: array<f16, ${rows * bc}>;`;
  return `${directHeader}
${flashHeader(s, [...inputs, ['DQ', 'read_write']], threads)}
const D4 = D / 4u;
${rowKernelMain(s, strips, rows, threads)}
  var dl = 0.0;
  // dO as the products see it (f16): Δ then matches Σ P·dP row by row, as it does exactly in f32.
  // Row t of its 16-row group: 16 halves in each 256-half tile (tile-major, packFlashOperand).
  let doTile = (bh * TP + t) / 16u; let doRow = (t % 16u) * 16u;
  for (var k = 0u; k < D4; k++) {
    let o4 = O[oBase / 4u + t * D4 + k];
    let w = (k / 4u) * 256u + doRow + (k % 4u) * 4u;
    let d4 = vec4<f32>(vec4<f16>(DO[doTile][w], DO[doTile][w + 1u], DO[doTile][w + 2u], DO[doTile][w + 3u]));
    dl += dot(d4, o4);
  }
  let st = (bh * T + t) * 3u;
  if (lid < ${rows}u && r0 + row < T) { ST[st + 2u] = dl; }
  let m = ST[st]; let l = ST[st + 1u];
  ${dq.map((a) => `var ${a} = Acc();`).join(' ')}
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visitsCode(s, 'r0', `${rows}u`, 'c0')}) { continue; }
    ${
      sg === 1
        ? `${rowStrip('Ss', 'Q', 'K', nj, dn, rows)}\n    ${rowStrip('DPs', 'DO', 'V', nj, dn, rows)}`
        : each((g) => (g === 0 ? rowStrip('Ss', 'Q', 'K', nj, dn, rows) : rowStrip('DPs', 'DO', 'V', nj, dn, rows)))
    }
    workgroupBarrier();
    for (var c = lid / ${rows}u; c < ${bc}u; c += ${share}u) {
      let j = c0 + c;
      let x = score(Ss[c * ${rows}u + row], b, t, min(j, S - 1u));
      let p = select(0.0, exp(x - m) / l, r0 + row < T && j < S);
      DSs[c * ${rows}u + row] = f16(p * (DPs[c * ${rows}u + row] - dl));
    }
    workgroupBarrier();
    ${each((g) => accumulateRows('dq', 'DSs', 'K', nj, tilesEach, rows, g * tilesEach))}
    workgroupBarrier();
  }
  ${storeRows('dq', 'DQ', tilesEach, ' * SCALE', rows, sg)}
}`;
}
