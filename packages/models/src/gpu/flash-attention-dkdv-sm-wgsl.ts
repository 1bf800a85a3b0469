/**
 * The fused attention backward on tensor cores, part 2: dk and dv (flash-attention-sm-wgsl.ts).
 * One workgroup per `bc` keys of one (batch, kv head) keeps k, v and the dk, dv accumulators
 * for its whole pass and walks every query head of the group and every query block that sees the
 * keys, as flash-attention-dkdv-wgsl.ts does: scores and dP = dO·vᵀ on the tensor cores, P and
 * dS = P ∘ (dP − Δ) in f32 (Δ from the dq kernel), then dv += Pᵀ·dO and dk += dSᵀ·q with P and
 * dS rounded to f16 and read transposed straight from their arrays.
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

export function flashDkdvSmWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const { ni, nj, dn, rows, cells } = smTiling(s, br, bc);
  const inputs = [
    ['Q', 'read', 'vec4'],
    ['K', 'read', 'vec4'],
    ['V', 'read', 'vec4'],
    ['DO', 'read', 'vec4'],
    ['ST', 'read'],
  ] as const;
  return `${flashSmHeader(s, [...inputs, ...biasBinding(s), ['DK', 'read_write'], ['DV', 'read_write']])}
var<workgroup> Ks: array<f16, ${bc * s.d}>;
var<workgroup> Vs: array<f16, ${bc * s.d}>;
var<workgroup> Qs: array<f16, ${br * s.d}>;
var<workgroup> DOs: array<f16, ${br * s.d}>;
var<workgroup> Ss: array<f32, ${br * bc}>;
var<workgroup> DPs: array<f32, ${br * bc}>;
var<workgroup> Ps: array<f16, ${br * bc}>;
var<workgroup> DSs: array<f16, ${br * bc}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> delta: array<f32, ${br}>;
${SM_MAIN}
  let bk = wg.y; let b = bk / HKV; let hk = bk % HKV;
  let c0 = wg.x * ${bc}u;
  let kvBase = bk * S * D;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s, FLASH_SM_THREADS)}
  ${stageF16('Ks', 'K', bc, 'kvBase', 'c0', 'S')}
  ${stageF16('Vs', 'V', bc, 'kvBase', 'c0', 'S')}
  ${declareAccs('dk', nj, dn)}
  ${declareAccs('dv', nj, dn)}
  for (var h = hk * REP; h < hk * REP + REP; h++) {
    let bh = b * H + h; let qBase = bh * T * D;
    for (var r0 = 0u; r0 < T; r0 += ${br}u) {
      if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
      workgroupBarrier();
      ${stageF16('Qs', 'Q', br, 'qBase', 'r0', 'T')}
      ${stageF16('DOs', 'DO', br, 'qBase', 'r0', 'T')}
      ${rows} {
        let st = (bh * T + min(r0 + r, T - 1u)) * 3u;
        rowM[r] = ST[st]; rowL[r] = ST[st + 1u]; delta[r] = ST[st + 2u];
      }
      workgroupBarrier();
      ${productABt('Ss', 'Qs', 'Ks', ni, nj)}
      ${productABt('DPs', 'DOs', 'Vs', ni, nj)}
      workgroupBarrier();
      ${cells}
        let t = r0 + r; let j = c0 + c; let m = rowM[r]; let l = rowL[r]; let dl = delta[r];
        let x = score(Ss[e], b, min(t, T - 1u), min(j, S - 1u));
        let p = select(0.0, exp(x - m) / l, t < T && j < S);
        Ps[e] = f16(p); DSs[e] = f16(p * (DPs[e] - dl));
      }
      workgroupBarrier();
      ${accumulate('dv', nj, dn, 'Ps', br, 'DOs', true)}
      ${accumulate('dk', nj, dn, 'DSs', br, 'Qs', true)}
    }
  }
  workgroupBarrier();
  ${storeAccs('dk', nj, dn, 'Ss', 'DK', 'kvBase', 'c0', 'S', ' * SCALE')}
  ${storeAccs('dv', nj, dn, 'Ss', 'DV', 'kvBase', 'c0', 'S')}
}`;
}
