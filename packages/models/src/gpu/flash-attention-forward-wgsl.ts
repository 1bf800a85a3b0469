/**
 * The fused attention forward, FlashAttention-2 style, in core WGSL (f32): one workgroup per
 * `br` query rows of one (batch, head), streaming `bc` keys at a time through workgroup memory
 * with an online softmax (running max m and sum l per row). Writes o [B, H, T, d] and the row
 * statistics [B, H, T, 3] = (m, l, ·) the backward recomputes probabilities from. Not the usual
 * logsumexp m + log l: for a row that sees nothing m = MASK_MIN, where f32 rounds the log away.
 * The third slot is the dq kernel's Δ (flash-attention-dq-wgsl.ts says why it lives there).
 */
import { FLASH_THREADS, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import { RUNTIME_ZERO, biasBinding, firstVisibleCode, flashHeader, visitsCode } from './flash-attention-wgsl.js';

export function flashForwardWgsl(s: FlashShape, { br, bc }: FlashTiles): string {
  const ri = br / 8,
    cj = bc / 8,
    dj = s.d / 8,
    ps = bc + 1;
  const inputs = [['Q', 'read'], ['K', 'read'], ['V', 'read'], ...biasBinding(s)] as const;
  return `${flashHeader(s, [...inputs, ['O', 'read_write'], ['ST', 'read_write']])}
var<workgroup> Qt: array<f32, ${s.d * br}>;
var<workgroup> KV: array<f32, ${bc * s.d}>;
var<workgroup> Ps: array<f32, ${br * ps}>;
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> alpha: array<f32, ${br}>;
@compute @workgroup_size(${FLASH_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y; let b = bh / H; let h = bh % H;
  let r0 = wg.x * ${br}u;
  let qBase = bh * T * D; let kvBase = (b * HKV + h / REP) * S * D;
  let ty = lid / 8u; let tx = lid % 8u;
  ${RUNTIME_ZERO}
  ${firstVisibleCode(s)}
  for (var e = lid; e < ${br}u * D; e += ${FLASH_THREADS}u) {
    let r = e / D; let k = e % D; let t = r0 + r;
    Qt[k * ${br}u + r] = select(0.0, Q[qBase + t * D + k], t < T);
  }
  if (lid < ${br}u) { rowM[lid] = MASK_MIN; rowL[lid] = 0.0; }
  var acc: array<f32, ${ri * dj}>;
  for (var c0 = 0u; c0 < S; c0 += ${bc}u) {
    if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
    workgroupBarrier();
    for (var e = lid; e < ${bc}u * D; e += ${FLASH_THREADS}u) {
      let c = e / D; let k = e % D; let j = c0 + c;
      KV[k * ${bc}u + c] = select(0.0, K[kvBase + j * D + k], j < S);
    }
    workgroupBarrier();
    // Register tile: per k, ${ri} q and ${cj} k values from workgroup memory feed ${ri * cj} FMAs.
    // Zeroed explicitly: lavapipe kept a loop-scoped "var dots: array<…>;" from the previous block.
    var dots = array<f32, ${ri * cj}>();
    for (var k = z0; k < D; k++) {
      var qv: array<f32, ${ri}>;
      for (var i = 0u; i < ${ri}u; i++) { qv[i] = Qt[k * ${br}u + ty + 8u * i]; }
      for (var jj = 0u; jj < ${cj}u; jj++) {
        let kv = KV[k * ${bc}u + tx + 8u * jj];
        for (var i = 0u; i < ${ri}u; i++) { dots[i * ${cj}u + jj] = fma(qv[i], kv, dots[i * ${cj}u + jj]); }
      }
    }
    for (var i = 0u; i < ${ri}u; i++) {
      let r = ty + 8u * i;
      for (var jj = 0u; jj < ${cj}u; jj++) {
        let c = tx + 8u * jj;
        let x = score(dots[i * ${cj}u + jj], b, min(r0 + r, T - 1u), min(c0 + c, S - 1u));
        Ps[r * ${ps}u + c] = select(0.0, x, c0 + c < S);
      }
    }
    workgroupBarrier();
    if (lid < ${br}u) {
      let r = lid; let n = min(${bc}u, S - c0);
      var mx = rowM[r];
      for (var c = z0; c < n; c++) { mx = max(mx, Ps[r * ${ps}u + c]); }
      let a = exp(rowM[r] - mx);
      var sum = rowL[r] * a;
      for (var c = z0; c < ${bc}u; c++) {
        let p = select(0.0, exp(Ps[r * ${ps}u + c] - mx), c < n);
        Ps[r * ${ps}u + c] = p; sum += p;
      }
      rowM[r] = mx; rowL[r] = sum; alpha[r] = a;
    }
    for (var e = lid; e < ${bc}u * D; e += ${FLASH_THREADS}u) {
      let c = e / D; let j = c0 + c;
      KV[e] = select(0.0, V[kvBase + j * D + e % D], j < S);
    }
    workgroupBarrier();
    for (var i = 0u; i < ${ri}u; i++) {
      let a = alpha[ty + 8u * i];
      for (var jj = 0u; jj < ${dj}u; jj++) { acc[i * ${dj}u + jj] *= a; }
    }
    // Register tile again: per key, ${ri} probabilities and ${dj} v values feed ${ri * dj} FMAs.
    for (var c = z0; c < ${bc}u; c++) {
      var pv: array<f32, ${ri}>;
      for (var i = 0u; i < ${ri}u; i++) { pv[i] = Ps[(ty + 8u * i) * ${ps}u + c]; }
      for (var jj = 0u; jj < ${dj}u; jj++) {
        let vv = KV[c * D + tx + 8u * jj];
        for (var i = 0u; i < ${ri}u; i++) { acc[i * ${dj}u + jj] = fma(pv[i], vv, acc[i * ${dj}u + jj]); }
      }
    }
  }
  workgroupBarrier();
  for (var i = 0u; i < ${ri}u; i++) {
    let r = ty + 8u * i; let t = r0 + r;
    if (t < T) {
      let inv = 1.0 / rowL[r];
      for (var jj = 0u; jj < ${dj}u; jj++) { O[qBase + t * D + tx + 8u * jj] = acc[i * ${dj}u + jj] * inv; }
      if (tx == 0u) { ST[(bh * T + t) * 3u] = rowM[r]; ST[(bh * T + t) * 3u + 1u] = rowL[r]; }
    }
  }
}`;
}
