/**
 * Attention of one new token per sequence over a KV cache (a decoding step), split over the keys the way
 * FlashDecoding does it. The flash forward (flash-attention-forward-wgsl.ts) gives each (sequence, head) one
 * workgroup that walks every key: at one query row that is 16 workgroups for Qwen3-0.6B at batch 1, each
 * walking 4,748 keys, and it first packs the whole cache to f16 for the tensor cores, a layer at a time. Here:
 * - `partial`: one workgroup per (sequence, kv head, run of SPLIT keys) computes, for the REP query heads that
 *   share the kv head, the running max m, sum l and unnormalised Σ exp(x − m)·v over its keys (online softmax,
 *   BK keys at a time), straight from the cache (f32, or f16 rows: DecodeShape.f16);
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
  /**
   * K and V are f16 rows, two halves a u32 (nn/kv-cache.ts f16 mode): each vec4 of a row is read as two words
   * and widened, so the kernel's arithmetic is the float32 kernel's on the rounded values.
   */
  readonly f16?: boolean;
}

/** Keys per block of the online softmax, and invocations per workgroup (four per key while scoring). */
export const DECODE_BK = 32;
export const DECODE_THREADS = 128;
/** Invocations that score one key together, each a quarter of its vec4s. */
const TPK = DECODE_THREADS / DECODE_BK;
/**
 * Keys per workgroup of `partial`: four blocks. At the seed's 4,864-position cache that is 38 runs per kv head,
 * ~300 workgroups for Qwen3-0.6B at batch 1 (8 kv heads), two or three per SM of an H200 (132).
 */
export const DECODE_SPLIT = 128;

export const decodeSplits = (s: DecodeShape): number => Math.ceil(s.s / DECODE_SPLIT);

/** The kernels read K and V as vec4 rows: head widths that are a multiple of 4 (decodeShapeOf checks). */
export const decodeTakesWidth = (d: number): boolean => d % 4 === 0;

/**
 * How `partial` spreads the weighted sum of V over its invocations: REP·D/4 vec4 outputs, each summed over the
 * block's keys by KH invocations (keys c ≡ half mod KH) when that leaves none idle, then added in order.
 */
function pvSplit(s: DecodeShape): { outs: number; kh: number; per: number } {
  const outs = (s.nh / s.nkv) * (s.d / 4);
  let kh = 1;
  while (kh * 2 * outs <= DECODE_THREADS && kh * 2 <= DECODE_BK) kh *= 2;
  return { outs, kh, per: Math.ceil(outs / DECODE_THREADS) };
}

function header(s: DecodeShape): string {
  return `const S = ${s.s}u; const D = ${s.d}u; const D4 = ${s.d / 4}u; const H = ${s.nh}u; const HKV = ${s.nkv}u;
const REP = ${s.nh / s.nkv}u; const NSPLIT = ${decodeSplits(s)}u; const SPLIT = ${DECODE_SPLIT}u;
const BK = ${DECODE_BK}u; const T = ${DECODE_THREADS}u; const TPK = ${TPK}u; const DT = ${Math.ceil(s.d / 4 / TPK)}u;
const SCALE: f32 = ${1 / Math.sqrt(s.d)};
const MASK_MIN: f32 = ${MASK_MIN};`;
}

/** Workgroup memory of `partial` in f32 words: q rows, the quarter dots, a block's probabilities, row stats, PV halves. */
export function decodePartialWords(s: DecodeShape): number {
  const rep = s.nh / s.nkv;
  const { kh, outs } = pvSplit(s);
  return rep * s.d + rep * DECODE_BK * TPK + rep * DECODE_BK + 3 * rep + (kh > 1 ? kh * outs * 4 : 0);
}

/**
 * partial(Q [B, H, 1, D], K, V [B, HKV, S, D], Bias? [B, S]) → PO [B·HKV, NSPLIT, REP, D], PS [B·HKV, NSPLIT, REP, 2].
 * Every loop over D or over a block's keys has a constant trip count, so the compiler can unroll it and issue the
 * loads together: the first version walked them one dependent load at a time (363 µs a layer at batch 1 on the
 * H200, 28 % of a decoding step).
 */
export function decodePartialWgsl(s: DecodeShape): string {
  const bias = s.bias ? ' + Bias[b * S + j]' : '';
  const { outs, kh, per } = pvSplit(s);
  // A vec4 of a key or value row: as stored, or two words of halves widened.
  const row4 = s.f16 ? 'vec2<u32>' : 'vec4<f32>';
  const at = (buf: string, i: string) => (s.f16 ? `half4(${buf}[${i}])` : `${buf}[${i}]`);
  return `${header(s)}
const OUTS = ${outs}u; const KH = ${kh}u; const PER = ${per}u;
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<${row4}>;
@group(0) @binding(2) var<storage, read> V: array<${row4}>;
${s.bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${s.bias ? 4 : 3}) var<storage, read_write> PO: array<vec4<f32>>;
@group(0) @binding(${s.bias ? 5 : 4}) var<storage, read_write> PS: array<f32>;
var<workgroup> q: array<vec4<f32>, ${(s.nh / s.nkv) * (s.d / 4)}>;
var<workgroup> sc: array<f32, ${(s.nh / s.nkv) * DECODE_BK * TPK}>;
var<workgroup> p: array<f32, ${(s.nh / s.nkv) * DECODE_BK}>;
var<workgroup> rowM: array<f32, ${s.nh / s.nkv}>;
var<workgroup> rowL: array<f32, ${s.nh / s.nkv}>;
var<workgroup> alpha: array<f32, ${s.nh / s.nkv}>;
${kh > 1 ? `var<workgroup> halves: array<vec4<f32>, ${kh * outs}>;` : ''}
${s.f16 ? 'fn half4(w: vec2<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)); }' : ''}
@compute @workgroup_size(${DECODE_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let split = wg.x; let bkv = wg.y; let b = bkv / HKV; let kvh = bkv % HKV;
  let kv4 = bkv * S * D4;
  let s0 = split * SPLIT; let s1 = min(s0 + SPLIT, S);
  for (var e = lid; e < REP * D4; e += T) { q[e] = Q[(b * H + kvh * REP) * D4 + e]; }
  if (lid < REP) { rowM[lid] = MASK_MIN; rowL[lid] = 0.0; }
  // Scoring: invocation lid takes key lid / TPK of the block and vec4s sub, sub + TPK, ... of its row.
  let key = lid / TPK; let sub = lid % TPK;
  // Weighting V: output o (a vec4 of one query head's row) over keys half, half + KH, ... of the block.
  let half = lid / OUTS;
  var acc: array<vec4<f32>, PER>;
  for (var c0 = s0; c0 < s1; c0 += BK) {
    let n = min(BK, s1 - c0);
    workgroupBarrier();
    // Zeroed by hand: a var declared in a loop kept the previous iteration's values on lavapipe (f16-gemv-wgsl.ts).
    var qk: array<f32, REP>;
    for (var r = 0u; r < REP; r++) { qk[r] = 0.0; }
    if (key < n) {
      let row = kv4 + (c0 + key) * D4;
      for (var t = 0u; t < DT; t++) {
        let i = sub + t * TPK;
        if (i < D4) {
          let kv = ${at('K', 'row + i')};
          for (var r = 0u; r < REP; r++) { qk[r] += dot(q[r * D4 + i], kv); }
        }
      }
    }
    for (var r = 0u; r < REP; r++) { sc[(r * BK + key) * TPK + sub] = qk[r]; }
    workgroupBarrier();
    for (var e = lid; e < REP * BK; e += T) {
      let c = e % BK; let j = c0 + c;
      if (c < n) {
        var d = 0.0;
        for (var u = 0u; u < TPK; u++) { d += sc[e * TPK + u]; }
        p[e] = d * SCALE${bias};
      }
    }
    workgroupBarrier();
    if (lid < REP) {
      let r = lid;
      var mx = rowM[r];
      for (var c = 0u; c < BK; c++) { if (c < n) { mx = max(mx, p[r * BK + c]); } }
      let a = exp(rowM[r] - mx);
      var sum = rowL[r] * a;
      for (var c = 0u; c < BK; c++) {
        if (c < n) { let e = exp(p[r * BK + c] - mx); p[r * BK + c] = e; sum += e; }
      }
      rowM[r] = mx; rowL[r] = sum; alpha[r] = a;
    }
    workgroupBarrier();
    if (half < KH) {
      for (var k = 0u; k < PER; k++) {
        let o = lid % OUTS + k * T;
        if (o < OUTS) {
          let r = o / D4; let i = o % D4;
          var v = acc[k] * alpha[r];
          for (var cc = 0u; cc < BK / KH; cc++) {
            let c = half + cc * KH;
            if (c < n) { v = fma(vec4<f32>(p[r * BK + c]), ${at('V', 'kv4 + (c0 + c) * D4 + i')}, v); }
          }
          acc[k] = v;
        }
      }
    }
  }
  workgroupBarrier();
  let part = (bkv * NSPLIT + split) * REP;
  ${
    kh > 1
      ? `// The KH key subsets of each output, added in order.
  if (half < KH) { halves[half * OUTS + lid % OUTS] = acc[0]; }
  workgroupBarrier();
  if (lid < OUTS) {
    var v = halves[lid];
    for (var hh = 1u; hh < KH; hh++) { v += halves[hh * OUTS + lid]; }
    PO[part * D4 + lid] = v;
  }`
      : `for (var k = 0u; k < PER; k++) {
    let o = lid + k * T;
    if (o < OUTS) { PO[part * D4 + o] = acc[k]; }
  }`
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
