/**
 * The fused attention backward, part 2: dk and dv. One workgroup per `bc` keys of one (batch, kv
 * head) keeps its k and v tiles and the dk, dv accumulators for the whole pass, and walks every
 * query head sharing the kv head (grouped-query attention sums there, in registers) and every
 * query block that sees the keys: dv += Pᵀ·dO, dk += scale · dSᵀ·q, with P and dS recomputed as
 * in the dq kernel (Δ comes from there). A separate dispatch because WGSL has no float atomics:
 * dq sums over key blocks, dk/dv over query blocks, and one pass can keep only one in registers.
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

export function flashDkdvWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const ci = bc / 8,
    rj = br / 8,
    dj = s.d / 8,
    qs = br + 1,
    ks = bc + 1;
  const inputs = [
    ['Q', 'read'],
    ['K', 'read'],
    ['V', 'read'],
    ['DO', 'read'],
    ['ST', 'read'],
  ] as const;
  return `${flashHeader(s, [...inputs, ...biasBinding(s), ['DK', 'read_write'], ['DV', 'read_write']])}
var<workgroup> Kt: array<f32, ${s.d * ks}>;
var<workgroup> Vt: array<f32, ${s.d * ks}>;
var<workgroup> Qt: array<f32, ${s.d * qs}>;
var<workgroup> DOt: array<f32, ${s.d * qs}>;
var<workgroup> Pt: array<f32, ${bc * qs}>;
var<workgroup> DSt: array<f32, ${bc * qs}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> delta: array<f32, ${br}>;
@compute @workgroup_size(${FLASH_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bk = wg.y; let b = bk / HKV; let hk = bk % HKV;
  let c0 = wg.x * ${bc}u;
  let kvBase = bk * S * D;
  let ty = lid / 8u; let tx = lid % 8u;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s)}
  for (var e = lid; e < ${bc}u * D; e += ${FLASH_THREADS}u) {
    let c = e / D; let k = e % D; let j = c0 + c; let ok = j < S;
    Kt[k * ${ks}u + c] = select(0.0, K[kvBase + j * D + k], ok);
    Vt[k * ${ks}u + c] = select(0.0, V[kvBase + j * D + k], ok);
  }
  var dk: array<f32, ${ci * dj}>;
  var dv: array<f32, ${ci * dj}>;
  for (var h = hk * REP; h < hk * REP + REP; h++) {
    let bh = b * H + h; let qBase = bh * T * D;
    for (var r0 = 0u; r0 < T; r0 += ${br}u) {
      if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
      workgroupBarrier();
      for (var e = lid; e < ${br}u * D; e += ${FLASH_THREADS}u) {
        let r = e / D; let k = e % D; let t = r0 + r; let ok = t < T;
        Qt[k * ${qs}u + r] = select(0.0, Q[qBase + t * D + k], ok);
        DOt[k * ${qs}u + r] = select(0.0, DO[qBase + t * D + k], ok);
      }
      if (lid < ${br}u) {
        let t = min(r0 + lid, T - 1u);
        let st = (bh * T + t) * 3u;
        rowM[lid] = ST[st]; rowL[lid] = ST[st + 1u]; delta[lid] = ST[st + 2u];
      }
      workgroupBarrier();
      ${registerTile(
        'dots',
        ci,
        rj,
        'k',
        'D',
        (i) => `Kt[k * ${ks}u + ty + 8u * ${i}]`,
        (jj) => `Qt[k * ${qs}u + tx + 8u * ${jj}]`,
      )}
      ${registerTile(
        'dps',
        ci,
        rj,
        'k',
        'D',
        (i) => `Vt[k * ${ks}u + ty + 8u * ${i}]`,
        (jj) => `DOt[k * ${qs}u + tx + 8u * ${jj}]`,
      )}
      for (var i = 0u; i < ${ci}u; i++) {
        let c = ty + 8u * i; let j = c0 + c;
        for (var jj = 0u; jj < ${rj}u; jj++) {
          let r = tx + 8u * jj; let t = r0 + r;
          let x = score(dots[i * ${rj}u + jj], b, min(t, T - 1u), min(j, S - 1u));
          let p = select(0.0, exp(x - rowM[r]) / rowL[r], t < T && j < S);
          Pt[c * ${qs}u + r] = p;
          DSt[c * ${qs}u + r] = p * (dps[i * ${rj}u + jj] - delta[r]);
        }
      }
      workgroupBarrier();
      ${registerTile(
        'dv',
        ci,
        dj,
        'r',
        `${br}u`,
        (i) => `Pt[(ty + 8u * ${i}) * ${qs}u + r]`,
        (jj) => `DOt[(tx + 8u * ${jj}) * ${qs}u + r]`,
        false,
      )}
      ${registerTile(
        'dk',
        ci,
        dj,
        'r',
        `${br}u`,
        (i) => `DSt[(ty + 8u * ${i}) * ${qs}u + r]`,
        (jj) => `Qt[(tx + 8u * ${jj}) * ${qs}u + r]`,
        false,
      )}
    }
  }
  for (var i = 0u; i < ${ci}u; i++) {
    let j = c0 + ty + 8u * i;
    if (j < S) {
      for (var jj = 0u; jj < ${dj}u; jj++) {
        let col = tx + 8u * jj;
        DK[kvBase + j * D + col] = dk[i * ${dj}u + jj] * SCALE; DV[kvBase + j * D + col] = dv[i * ${dj}u + jj];
      }
    }
  }
}`;
}
