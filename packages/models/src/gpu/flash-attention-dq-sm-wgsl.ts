/**
 * The fused attention backward on tensor cores, part 1: dq (flash-attention-sm-wgsl.ts). One
 * workgroup per `br` query rows of one (batch, head) walks the forward's key blocks: scores and
 * dP = dO·vᵀ on the tensor cores, P = exp(score − m) / l and dS = P ∘ (dP − Δ) in f32, then
 * dq += dS·k with dS rounded to f16. Δ = rowsum(dO ∘ O) is computed here in f32 and written to the
 * statistics' third slot for the dk/dv kernel, as flash-attention-dq-wgsl.ts does (and why).
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

export function flashDqSmWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const { ni, nj, dn, rows, cells } = smTiling(s, br, bc);
  const inputs = [
    ['Q', 'read', 'vec4'],
    ['K', 'read', 'vec4'],
    ['V', 'read', 'vec4'],
    ['O', 'read', 'vec4'],
    ['DO', 'read', 'vec4'],
    ['ST', 'read_write'],
  ] as const;
  return `${flashSmHeader(s, [...inputs, ...biasBinding(s), ['DQ', 'read_write']])}
var<workgroup> Qs: array<f16, ${br * s.d}>;
var<workgroup> DOs: array<f16, ${br * s.d}>;
var<workgroup> Ks: array<f16, ${bc * s.d}>;
var<workgroup> Vs: array<f16, ${bc * s.d}>;
var<workgroup> Ss: array<f32, ${br * bc}>;
var<workgroup> DPs: array<f32, ${br * bc}>;
var<workgroup> DSs: array<f16, ${br * bc}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> delta: array<f32, ${br}>;
${SM_MAIN}
  let bh = wg.y; let b = bh / H; let h = bh % H;
  let r0 = wg.x * ${br}u;
  let qBase = bh * T * D; let kvBase = (b * HKV + h / REP) * S * D;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s, FLASH_SM_THREADS)}
  ${stageF16('Qs', 'Q', br, 'qBase', 'r0', 'T')}
  ${stageF16('DOs', 'DO', br, 'qBase', 'r0', 'T')}
  ${rows} {
    let t = r0 + r;
    var dl = 0.0;
    if (t < T) {
      let row = (qBase + t * D) / 4u;
      for (var k = z0; k < D4; k++) { dl += dot(DO[row + k], O[row + k]); }
      ST[(bh * T + t) * 3u + 2u] = dl;
      rowM[r] = ST[(bh * T + t) * 3u]; rowL[r] = ST[(bh * T + t) * 3u + 1u];
    } else { rowM[r] = 0.0; rowL[r] = 1.0; }
    delta[r] = dl;
  }
  ${declareAccs('dq', ni, dn)}
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
    workgroupBarrier();
    ${stageF16('Ks', 'K', bc, 'kvBase', 'c0', 'S')}
    ${stageF16('Vs', 'V', bc, 'kvBase', 'c0', 'S')}
    workgroupBarrier();
    ${productABt('Ss', 'Qs', 'Ks', ni, nj)}
    ${productABt('DPs', 'DOs', 'Vs', ni, nj)}
    workgroupBarrier();
    ${cells}
      let t = r0 + r; let j = c0 + c; let m = rowM[r]; let l = rowL[r]; let dl = delta[r];
      let x = score(Ss[e], b, min(t, T - 1u), min(j, S - 1u));
      let p = select(0.0, exp(x - m) / l, t < T && j < S);
      DSs[e] = f16(p * (DPs[e] - dl));
    }
    workgroupBarrier();
    ${accumulate('dq', ni, dn, 'DSs', bc, 'Ks')}
  }
  workgroupBarrier();
  ${storeAccs('dq', ni, dn, 'Ss', 'DQ', 'qBase', 'r0', 'T', ' * SCALE')}
}`;
}
