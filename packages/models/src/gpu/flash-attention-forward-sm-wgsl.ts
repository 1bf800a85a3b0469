/**
 * The fused attention forward on tensor cores (flash-attention-sm-wgsl.ts): one workgroup per
 * `br` query rows of one (batch, head), in two passes over the key blocks it visits. The first
 * computes each row's maximum m and sum l (scores only); the second recomputes the scores, forms
 * P = exp(score − m) / l in f32, rounds it to f16 and accumulates P·v in registers. Two passes
 * instead of the online rescaling of flash-attention-forward-wgsl.ts: a result matrix cannot be
 * scaled per row in registers, and rescaling through workgroup memory would move br·D floats per
 * key block, against one more q·kᵀ on the tensor cores. Writes o and the statistics (m, l, ·).
 */
import type { FlashShape, FlashTiles } from './flash-attention-shape.js';
import { RUNTIME_ZERO, biasBinding, firstVisibleCode, visitsCode } from './flash-attention-wgsl.js';
import {
  FLASH_SM_THREADS,
  SM_MAIN,
  accumulate,
  declareAccs,
  flashSmHeader,
  productABt,
  smTiling,
  stageF16,
  storeAccs,
} from './flash-attention-sm-wgsl.js';

export function flashForwardSmWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const { ni, nj, dn, rows, cells } = smTiling(s, br, bc);
  // The statistics pass splits each row's keys among `parts` invocations, then combines.
  const parts = FLASH_SM_THREADS / br;
  const inputs = [['Q', 'read', 'vec4'], ['K', 'read', 'vec4'], ['V', 'read', 'vec4'], ...biasBinding(s)] as const;
  const visits = visitsCode(s, 'r0', `${br}u`, 'c0');
  // Both passes walk the visited key blocks and start from the block's scores in Ss.
  const scoreBlocks = `for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visits}) { continue; }
    workgroupBarrier();
    ${stageF16('KV', 'K', bc, 'kvBase', 'c0', 'S')}
    workgroupBarrier();
    ${productABt('Ss', 'Qs', 'KV', ni, nj)}
    workgroupBarrier();`;
  return `${flashSmHeader(s, [...inputs, ['O', 'read_write'], ['ST', 'read_write']])}
var<workgroup> Qs: array<f16, ${br * s.d}>;
var<workgroup> KV: array<f16, ${bc * s.d}>;
var<workgroup> Ss: array<f32, ${br * bc}>;
var<workgroup> Ps: array<f16, ${br * bc}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> partM: array<f32, ${FLASH_SM_THREADS}>;
var<workgroup> partL: array<f32, ${FLASH_SM_THREADS}>;
${SM_MAIN}
  let bh = wg.y; let b = bh / H; let h = bh % H;
  let r0 = wg.x * ${br}u;
  let qBase = bh * T * D; let kvBase = (b * HKV + h / REP) * S * D;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s, FLASH_SM_THREADS)}
  ${stageF16('Qs', 'Q', br, 'qBase', 'r0', 'T')}
  ${rows} { rowM[r] = MASK_MIN; rowL[r] = 0.0; }
${scoreBlocks}
    {
      let r = lid % ${br}u; let part = lid / ${br}u;
      let t = min(r0 + r, T - 1u); let n = min(${bc}u, S - c0);
      var mx = MASK_MIN;
      for (var c = part; c < n; c += ${parts}u) { mx = max(mx, score(Ss[c * ${br}u + r], b, t, c0 + c)); }
      var sum = 0.0;
      for (var c = part; c < n; c += ${parts}u) { sum += exp(score(Ss[c * ${br}u + r], b, t, c0 + c) - mx); }
      partM[lid] = mx; partL[lid] = sum;
    }
    workgroupBarrier();
    ${rows} {
      let m0 = rowM[r];
      var mx = m0;
      for (var p = 0u; p < ${parts}u; p++) { mx = max(mx, partM[p * ${br}u + r]); }
      var sum = rowL[r] * exp(m0 - mx);
      for (var p = 0u; p < ${parts}u; p++) { sum += partL[p * ${br}u + r] * exp(partM[p * ${br}u + r] - mx); }
      rowM[r] = mx; rowL[r] = sum;
    }
  }
  ${declareAccs('o', ni, dn)}
${scoreBlocks}
    ${stageF16('KV', 'V', bc, 'kvBase', 'c0', 'S')}
    ${cells}
      let t = r0 + r; let j = c0 + c;
      let p = exp(score(Ss[e], b, min(t, T - 1u), min(j, S - 1u)) - rowM[r]) / rowL[r];
      Ps[e] = f16(select(0.0, p, t < T && j < S));
    }
    workgroupBarrier();
    ${accumulate('o', ni, dn, 'Ps', bc, 'KV')}
  }
  workgroupBarrier();
  ${storeAccs('o', ni, dn, 'Ss', 'O', 'qBase', 'r0', 'T')}
  ${rows} {
    let t = r0 + r;
    if (t < T) { ST[(bh * T + t) * 3u] = rowM[r]; ST[(bh * T + t) * 3u + 1u] = rowL[r]; }
  }
}`;
}
