/**
 * Attention of one new token per sequence over a KV cache (a decoding step), split over the keys the way
 * FlashDecoding does it. The flash forward (flash-attention-forward-wgsl.ts) gives each (sequence, head) one
 * workgroup that walks every key: at one query row that is 16 workgroups for Qwen3-0.6B at batch 1, each
 * walking 4,748 keys, and it first packs the whole cache to f16 for the tensor cores, a layer at a time. Here:
 * - `partial`: one workgroup per (sequence, kv head, run of SPLIT keys) computes, for the REP query heads that
 *   share the kv head, the running max m, sum l and unnormalised Σ exp(x − m)·v over its keys (online softmax,
 *   BK keys at a time), straight from the f32 cache;
 * - `combine`: one workgroup per (sequence, head) rescales the runs to their common max and divides.
 * Scores are `dot·scale + bias` as in the other kernels (flash-attention-wgsl.ts): a masked key rounds to
 * MASK_MIN, whose exp against a real maximum is exactly 0, and a row that sees nothing averages every key.
 */
import { MASK_MIN } from '../nn/attention-bias.js';

/** What a decode kernel is specialised for (WGSL constants; one pipeline per layer shape). */
export interface DecodeShape {
  readonly b: number;
  readonly nh: number;
  readonly nkv: number;
  /** Keys (the cache's capacity). */
  readonly s: number;
  readonly d: number;
  /** A padding bias [B, S] is read (else every key is visible). */
  readonly bias: boolean;
}

/** Keys per block of the online softmax, and threads per workgroup. */
export const DECODE_BK = 64;
export const DECODE_THREADS = 64;
/**
 * Keys per workgroup of `partial`: four blocks of work each, and at the seed's 4,864-position cache ~150
 * workgroups for Qwen3-0.6B at batch 1 (8 kv heads × 19 runs), about one per SM of an H200 (132).
 */
export const DECODE_SPLIT = 256;

export const decodeSplits = (s: DecodeShape): number => Math.ceil(s.s / DECODE_SPLIT);

function header(s: DecodeShape): string {
  return `const S = ${s.s}u; const D = ${s.d}u; const H = ${s.nh}u; const HKV = ${s.nkv}u;
const REP = ${s.nh / s.nkv}u; const NSPLIT = ${decodeSplits(s)}u; const SPLIT = ${DECODE_SPLIT}u;
const BK = ${DECODE_BK}u; const DJ = ${Math.ceil(s.d / DECODE_THREADS)}u;
const SCALE: f32 = ${1 / Math.sqrt(s.d)};
const MASK_MIN: f32 = ${MASK_MIN};`;
}

/** partial(Q [B, H, 1, D], K, V [B, HKV, S, D], Bias? [B, S]) → PO [B·HKV, NSPLIT, REP, D], PS [B·HKV, NSPLIT, REP, 2]. */
export function decodePartialWgsl(s: DecodeShape): string {
  const bias = s.bias ? ' + Bias[b * S + j]' : '';
  return `${header(s)}
@group(0) @binding(0) var<storage, read> Q: array<f32>;
@group(0) @binding(1) var<storage, read> K: array<f32>;
@group(0) @binding(2) var<storage, read> V: array<f32>;
${s.bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${s.bias ? 4 : 3}) var<storage, read_write> PO: array<f32>;
@group(0) @binding(${s.bias ? 5 : 4}) var<storage, read_write> PS: array<f32>;
var<workgroup> q: array<f32, ${(s.nh / s.nkv) * s.d}>;
var<workgroup> p: array<f32, ${(s.nh / s.nkv) * DECODE_BK}>;
var<workgroup> rowM: array<f32, ${s.nh / s.nkv}>;
var<workgroup> rowL: array<f32, ${s.nh / s.nkv}>;
var<workgroup> alpha: array<f32, ${s.nh / s.nkv}>;
@compute @workgroup_size(${DECODE_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let split = wg.x; let bkv = wg.y; let b = bkv / HKV; let kvh = bkv % HKV;
  let z0 = wg.z; // 0 the compiler cannot see: keeps the long loops from being unrolled (lavapipe compiles slowly)
  let kvBase = bkv * S * D;
  let s0 = split * SPLIT; let s1 = min(s0 + SPLIT, S);
  for (var e = lid; e < REP * D; e += ${DECODE_THREADS}u) {
    q[e] = Q[(b * H + kvh * REP + e / D) * D + e % D];
  }
  if (lid < REP) { rowM[lid] = MASK_MIN; rowL[lid] = 0.0; }
  var acc: array<f32, ${(s.nh / s.nkv) * Math.ceil(s.d / DECODE_THREADS)}>;
  for (var c0 = s0; c0 < s1; c0 += BK) {
    let n = min(BK, s1 - c0);
    workgroupBarrier();
    for (var e = lid; e < REP * BK; e += ${DECODE_THREADS}u) {
      let r = e / BK; let c = e % BK; let j = c0 + c;
      if (c < n) {
        var dot = 0.0;
        for (var k = z0; k < D; k++) { dot = fma(q[r * D + k], K[kvBase + j * D + k], dot); }
        p[e] = dot * SCALE${bias};
      }
    }
    workgroupBarrier();
    if (lid < REP) {
      let r = lid;
      var mx = rowM[r];
      for (var c = z0; c < n; c++) { mx = max(mx, p[r * BK + c]); }
      let a = exp(rowM[r] - mx);
      var sum = rowL[r] * a;
      for (var c = z0; c < n; c++) { let e = exp(p[r * BK + c] - mx); p[r * BK + c] = e; sum += e; }
      rowM[r] = mx; rowL[r] = sum; alpha[r] = a;
    }
    workgroupBarrier();
    for (var r = 0u; r < REP; r++) {
      let a = alpha[r];
      for (var i = 0u; i < DJ; i++) {
        let dd = lid + i * ${DECODE_THREADS}u;
        if (dd < D) {
          var o = acc[r * DJ + i] * a;
          for (var c = z0; c < n; c++) { o = fma(p[r * BK + c], V[kvBase + (c0 + c) * D + dd], o); }
          acc[r * DJ + i] = o;
        }
      }
    }
  }
  workgroupBarrier();
  let part = (bkv * NSPLIT + split) * REP;
  for (var r = 0u; r < REP; r++) {
    for (var i = 0u; i < DJ; i++) {
      let dd = lid + i * ${DECODE_THREADS}u;
      if (dd < D) { PO[(part + r) * D + dd] = acc[r * DJ + i]; }
    }
  }
  if (lid < REP) { PS[(part + lid) * 2u] = rowM[lid]; PS[(part + lid) * 2u + 1u] = rowL[lid]; }
}`;
}

/** combine(PO, PS) → O [B, H, 1, D]: the runs rescaled to their common max, summed, divided by the sum. */
export function decodeCombineWgsl(s: DecodeShape): string {
  return `${header(s)}
@group(0) @binding(0) var<storage, read> PO: array<f32>;
@group(0) @binding(1) var<storage, read> PS: array<f32>;
@group(0) @binding(2) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${DECODE_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bh = wg.x; let b = bh / H; let h = bh % H;
  let bkv = b * HKV + h / REP; let r = h % REP;
  var mx = MASK_MIN;
  for (var i = 0u; i < NSPLIT; i++) { mx = max(mx, PS[((bkv * NSPLIT + i) * REP + r) * 2u]); }
  var l = 0.0;
  for (var i = 0u; i < NSPLIT; i++) {
    let st = ((bkv * NSPLIT + i) * REP + r) * 2u;
    l += PS[st + 1u] * exp(PS[st] - mx);
  }
  let inv = 1.0 / l;
  for (var dd = lid; dd < D; dd += ${DECODE_THREADS}u) {
    var o = 0.0;
    for (var i = 0u; i < NSPLIT; i++) {
      let part = (bkv * NSPLIT + i) * REP + r;
      o = fma(exp(PS[part * 2u] - mx), PO[part * D + dd], o);
    }
    O[bh * D + dd] = o * inv;
  }
}`;
}
