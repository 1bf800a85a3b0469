/**
 * The fused attention backward, part 1: dq. One workgroup per `br` query rows of one (batch,
 * head) walks the same key blocks as the forward, recomputing P = exp(score − m) / l from the
 * saved row statistics, then dS = P ∘ (dP − Δ) with dP = dO·vᵀ and Δ = rowsum(dO ∘ O), and
 * accumulates dq = scale · dS·k. It also writes Δ for the dk/dv kernel (which runs after) into the
 * statistics' third slot: a separate output would make nine storage bindings, one over WebGPU's
 * default per-stage limit of eight.
 * Tiles are stored transposed with a padded stride, so one copy serves both kᵀ (scores) and k (dq).
 */
import { FLASH_THREADS, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import {
  RUNTIME_ZERO,
  biasBinding,
  registerTile,
  firstVisibleCode,
  flashHeader,
  visitsCode,
} from './flash-attention-wgsl.js';

export function flashDqWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const ri = br / 8,
    cj = bc / 8,
    dj = s.d / 8,
    qs = br + 1,
    ks = bc + 1;
  const inputs = [
    ['Q', 'read'],
    ['K', 'read'],
    ['V', 'read'],
    ['O', 'read'],
    ['DO', 'read'],
    ['ST', 'read_write'],
  ] as const;
  return `${flashHeader(s, [...inputs, ...biasBinding(s), ['DQ', 'read_write']])}
var<workgroup> Qt: array<f32, ${s.d * qs}>;
var<workgroup> DOt: array<f32, ${s.d * qs}>;
var<workgroup> KV: array<f32, ${s.d * ks}>;
var<workgroup> Ps: array<f32, ${br * ks}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> delta: array<f32, ${br}>;
@compute @workgroup_size(${FLASH_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y; let b = bh / H; let h = bh % H;
  let r0 = wg.x * ${br}u;
  let qBase = bh * T * D; let kvBase = (b * HKV + h / REP) * S * D;
  let ty = lid / 8u; let tx = lid % 8u;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s)}
  for (var e = lid; e < ${br}u * D; e += ${FLASH_THREADS}u) {
    let r = e / D; let k = e % D; let t = r0 + r; let ok = t < T;
    Qt[k * ${qs}u + r] = select(0.0, Q[qBase + t * D + k], ok);
    DOt[k * ${qs}u + r] = select(0.0, DO[qBase + t * D + k], ok);
  }
  if (lid < ${br}u) {
    let t = r0 + lid;
    var dl = 0.0;
    if (t < T) {
      for (var k = z0; k < D; k++) { dl = fma(DO[qBase + t * D + k], O[qBase + t * D + k], dl); }
      ST[(bh * T + t) * 3u + 2u] = dl;
      rowM[lid] = ST[(bh * T + t) * 3u]; rowL[lid] = ST[(bh * T + t) * 3u + 1u];
    } else { rowM[lid] = 0.0; rowL[lid] = 1.0; }
    delta[lid] = dl;
  }
  var acc: array<f32, ${ri * dj}>;
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
    workgroupBarrier();
    for (var e = lid; e < ${bc}u * D; e += ${FLASH_THREADS}u) {
      let c = e / D; let j = c0 + c;
      KV[(e % D) * ${ks}u + c] = select(0.0, V[kvBase + j * D + e % D], j < S);
    }
    workgroupBarrier();
    ${registerTile(
      'dp',
      ri,
      cj,
      'k',
      'D',
      (i) => `DOt[k * ${qs}u + ty + 8u * ${i}]`,
      (jj) => `KV[k * ${ks}u + tx + 8u * ${jj}]`,
    )}
    workgroupBarrier();
    for (var e = lid; e < ${bc}u * D; e += ${FLASH_THREADS}u) {
      let c = e / D; let j = c0 + c;
      KV[(e % D) * ${ks}u + c] = select(0.0, K[kvBase + j * D + e % D], j < S);
    }
    workgroupBarrier();
    ${registerTile(
      'dots',
      ri,
      cj,
      'k',
      'D',
      (i) => `Qt[k * ${qs}u + ty + 8u * ${i}]`,
      (jj) => `KV[k * ${ks}u + tx + 8u * ${jj}]`,
    )}
    for (var i = 0u; i < ${ri}u; i++) {
      let r = ty + 8u * i; let t = r0 + r;
      for (var jj = 0u; jj < ${cj}u; jj++) {
        let c = tx + 8u * jj; let j = c0 + c;
        let x = score(dots[i * ${cj}u + jj], b, min(t, T - 1u), min(j, S - 1u));
        let p = select(0.0, exp(x - rowM[r]) / rowL[r], t < T && j < S);
        Ps[r * ${ks}u + c] = p * (dp[i * ${cj}u + jj] - delta[r]);
      }
    }
    workgroupBarrier();
    ${registerTile(
      'acc',
      ri,
      dj,
      'c',
      `${bc}u`,
      (i) => `Ps[(ty + 8u * ${i}) * ${ks}u + c]`,
      (jj) => `KV[(tx + 8u * ${jj}) * ${ks}u + c]`,
      false,
    )}
  }
  for (var i = 0u; i < ${ri}u; i++) {
    let t = r0 + ty + 8u * i;
    if (t < T) {
      for (var jj = 0u; jj < ${dj}u; jj++) { DQ[qBase + t * D + tx + 8u * jj] = acc[i * ${dj}u + jj] * SCALE; }
    }
  }
}`;
}
