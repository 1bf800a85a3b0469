/**
 * Attention of one new token per sequence over a KV cache (a decoding step), split over the keys the way
 * FlashDecoding does it. The flash forward (flash-attention-forward-wgsl.ts) gives each (sequence, head) one
 * workgroup that walks every key: at one query row that is 16 workgroups for Qwen3-0.6B at batch 1, each
 * walking 4,748 keys, and it first packs the whole cache to f16 for the tensor cores, a layer at a time. Here:
 * - `partial`: one workgroup per (sequence, kv head, run of SPLIT keys) computes, for the REP query heads that
 *   share the kv head, the run's max m, sum l and unnormalised Σ exp(x − m)·v, straight from the cache (f32, or
 *   f16 rows: DecodeShape.f16). The whole run at once: TPK invocations score a key (neighbours reading
 *   neighbouring 16 bytes), the maxima and sums are trees over workgroup memory, and each invocation weights V
 *   for 8 of an output row's values. Every load is 16 bytes: 8 halves of an f16 row, or two vec4s of an f32 one,
 *   so both modes do the same arithmetic in the same order.
 *   On the H200 the first version (blocks of 32 keys with an online softmax whose statistics one invocation a
 *   row computed alone, vec4 loads) took 3.3 ms of a batch-8 step's 28 dispatches with the f32 cache, and 4.1 ms
 *   reading f16 rows 8 bytes a load: the loads' count, not their bytes, bounds it
 *   (bench/results/2026-11-29-gen-h200-session15.md);
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
  /** Keys a workgroup of `partial` takes (a power of two, 32 … 1024); DECODE_SPLIT when absent. */
  readonly split?: number;
}

/** Invocations per workgroup. */
export const DECODE_THREADS = 128;
/** Invocations that score one key together, each a quarter of its 16-byte chunks. */
const TPK = 4;
/**
 * Keys per workgroup of `partial`. At the seed's 4,864-position cache that is 38 runs per kv head, ~300
 * workgroups for Qwen3-0.6B at batch 1 (8 kv heads), two or three per SM of an H200.
 */
export const DECODE_SPLIT = 128;

/** The keys a workgroup of `partial` takes for `s`. */
export function splitOf(s: DecodeShape): number {
  const split = s.split ?? DECODE_SPLIT;
  if (!(split >= DECODE_THREADS / TPK && split <= 1024 && (split & (split - 1)) === 0))
    throw new RangeError(`flash decode: split ${split} must be a power of two from ${DECODE_THREADS / TPK} to 1024`);
  return split;
}

export const decodeSplits = (s: DecodeShape): number => Math.ceil(s.s / splitOf(s));

/** The kernels read K and V in chunks of 8 values: head widths that are a multiple of 8 (decodeShapeOf checks). */
export const decodeTakesWidth = (d: number): boolean => d % 8 === 0;

/**
 * How `partial` spreads the weighted sum of V over its invocations: REP·D/8 outputs of 8 values, each summed over
 * the run's keys by KH invocations (keys c ≡ half mod KH) when that leaves none idle, then added in order.
 */
function pvSplit(s: DecodeShape): { outs: number; kh: number; per: number } {
  const outs = (s.nh / s.nkv) * (s.d / 8);
  let kh = 1;
  while (kh * 2 * outs <= DECODE_THREADS && kh * 2 <= splitOf(s)) kh *= 2;
  return { outs, kh, per: Math.ceil(outs / DECODE_THREADS) };
}

function header(s: DecodeShape): string {
  const split = splitOf(s);
  return `const S = ${s.s}u; const D = ${s.d}u; const D4 = ${s.d / 4}u; const D8 = ${s.d / 8}u;
const H = ${s.nh}u; const HKV = ${s.nkv}u;
const REP = ${s.nh / s.nkv}u; const NSPLIT = ${decodeSplits(s)}u; const SPLIT = ${split}u;
const T = ${DECODE_THREADS}u; const HALF = ${split / 2}u; const TPK = ${TPK}u; const KPP = ${DECODE_THREADS / TPK}u;
const DT = ${Math.ceil(s.d / 8 / TPK)}u;
const SCALE: f32 = ${1 / Math.sqrt(s.d)};
const MASK_MIN: f32 = ${MASK_MIN};`;
}

/**
 * Workgroup memory of `partial` in f32 words: q rows, the partial dots, the run's scores (then their exps), the
 * two trees' halves, PV halves.
 */
export function decodePartialWords(s: DecodeShape): number {
  const rep = s.nh / s.nkv;
  const { kh, outs } = pvSplit(s);
  return rep * s.d + rep * splitOf(s) * (TPK + 2) + (kh > 1 ? kh * outs * 8 : 0);
}

/**
 * partial(Q [B, H, 1, D], K, V [B, HKV, S, D], Bias? [B, S]) → PO [B·HKV, NSPLIT, REP, D], PS [B·HKV, NSPLIT, REP, 2].
 * Every loop over D or over the run's keys has a constant trip count, so the compiler can unroll it and issue the
 * loads together: the first version walked them one dependent load at a time (363 µs a layer at batch 1 on the
 * H200, 28 % of a decoding step).
 */
export function decodePartialWgsl(s: DecodeShape): string {
  const split = splitOf(s);
  const rep = s.nh / s.nkv;
  const bias = s.bias ? ' + Bias[b * S + s0 + c]' : '';
  const { outs, kh, per } = pvSplit(s);
  // Chunk i (8 values) of a K or V row as two vec4s: one vec4<u32> of halves widened, or two vec4<f32>.
  const row = s.f16 ? 'vec4<u32>' : 'vec4<f32>';
  const chunk = (buf: string, i: string, name: string) =>
    s.f16
      ? `let ${name}w = ${buf}[${i}]; let ${name}0 = half4(${name}w.xy); let ${name}1 = half4(${name}w.zw);`
      : `let ${name}0 = ${buf}[2u * (${i})]; let ${name}1 = ${buf}[2u * (${i}) + 1u];`;
  // A tree over each row's SPLIT values of src into red (a row's result in its first word), halving the span each
  // level: the first level reads src, the others work in place. Every level's order is fixed.
  const tree = (src: string, red: string, op: (a: string, b: string) => string) => `
  for (var e = lid; e < REP * HALF; e += T) {
    let r = e / HALF; let i = e % HALF;
    ${red}[e] = ${op(`${src}[r * SPLIT + i]`, `${src}[r * SPLIT + i + HALF]`)};
  }
  workgroupBarrier();
  for (var st = HALF / 2u; st > 0u; st = st / 2u) {
    for (var e = lid; e < REP * st; e += T) {
      let r = e / st; let i = e % st;
      ${red}[r * HALF + i] = ${op(`${red}[r * HALF + i]`, `${red}[r * HALF + i + st]`)};
    }
    workgroupBarrier();
  }`;
  return `${header(s)}
const OUTS = ${outs}u; const KH = ${kh}u; const PER = ${per}u;
@group(0) @binding(0) var<storage, read> Q: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> K: array<${row}>;
@group(0) @binding(2) var<storage, read> V: array<${row}>;
${s.bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;' : ''}
@group(0) @binding(${s.bias ? 4 : 3}) var<storage, read_write> PO: array<vec4<f32>>;
@group(0) @binding(${s.bias ? 5 : 4}) var<storage, read_write> PS: array<f32>;
var<workgroup> q: array<vec4<f32>, ${rep * (s.d / 4)}>;
var<workgroup> sc: array<f32, ${rep * split * TPK}>;
var<workgroup> p: array<f32, ${rep * split}>;
var<workgroup> redM: array<f32, ${rep * (split / 2)}>;
var<workgroup> redL: array<f32, ${rep * (split / 2)}>;
${kh > 1 ? `var<workgroup> halves: array<vec4<f32>, ${kh * outs * 2}>;` : ''}
${s.f16 ? 'fn half4(w: vec2<u32>) -> vec4<f32> { return vec4<f32>(unpack2x16float(w.x), unpack2x16float(w.y)); }' : ''}
@compute @workgroup_size(${DECODE_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let split = wg.x; let bkv = wg.y; let b = bkv / HKV; let kvh = bkv % HKV;
  let kv8 = bkv * S * D8;
  let s0 = split * SPLIT; let n = min(SPLIT, S - s0);
  for (var e = lid; e < REP * D4; e += T) { q[e] = Q[(b * H + kvh * REP) * D4 + e]; }
  workgroupBarrier();
  // Partial dots: invocations (g, sub) take keys g, g + KPP, ... of the run and chunks sub, sub + TPK, ... of
  // their rows (loops of constant trip counts, so the loads issue together).
  let sub = lid % TPK; let g = lid / TPK;
  for (var ps = 0u; ps < SPLIT / KPP; ps++) {
    let c = g + ps * KPP;
    var qk: array<f32, REP>;
    for (var r = 0u; r < REP; r++) { qk[r] = 0.0; }
    if (c < n) {
      let row = kv8 + (s0 + c) * D8;
      for (var t = 0u; t < DT; t++) {
        let j = sub + t * TPK;
        if (j < D8) {
          ${chunk('K', 'row + j', 'k')}
          for (var r = 0u; r < REP; r++) {
            qk[r] += dot(q[r * D4 + 2u * j], k0);
            qk[r] += dot(q[r * D4 + 2u * j + 1u], k1);
          }
        }
      }
    }
    for (var r = 0u; r < REP; r++) { sc[(r * SPLIT + c) * TPK + sub] = qk[r]; }
  }
  workgroupBarrier();
  // Scores, in order over the partial dots. Past the run's end a score is MASK_MIN, below every real one: the
  // maxima skip it, and its exp is set to 0 below.
  for (var e = lid; e < REP * SPLIT; e += T) {
    let c = e % SPLIT;
    var x = MASK_MIN;
    if (c < n) {
      var d = 0.0;
      for (var u = 0u; u < TPK; u++) { d += sc[e * TPK + u]; }
      x = d * SCALE${bias};
    }
    p[e] = x;
  }
  workgroupBarrier();
  // Each row's maximum m, then p = exp(score − m) (0 past the run's end), then their sum l.
  ${tree('p', 'redM', (x, y) => `max(${x}, ${y})`)}
  for (var e = lid; e < REP * SPLIT; e += T) {
    let r = e / SPLIT; let c = e % SPLIT;
    p[e] = select(0.0, exp(p[e] - redM[r * HALF]), c < n);
  }
  workgroupBarrier();
  ${tree('p', 'redL', (x, y) => `${x} + ${y}`)}
  // Σ p·v: output o (8 values of one query head's row: vec4s 2·(o mod D8) and the next) over keys half,
  // half + KH, ...
  let half = lid / OUTS;
  var acc: array<vec4<f32>, ${2 * per}>;
  for (var k = 0u; k < 2u * PER; k++) { acc[k] = vec4<f32>(0.0); }
  if (half < KH) {
    for (var k = 0u; k < PER; k++) {
      let o = lid % OUTS + k * T;
      if (o < OUTS) {
        let r = o / D8; let j = o % D8;
        var v0 = vec4<f32>(0.0); var v1 = vec4<f32>(0.0);
        for (var cc = 0u; cc < SPLIT / KH; cc++) {
          let c = half + cc * KH;
          if (c < n) {
            ${chunk('V', 'kv8 + (s0 + c) * D8 + j', 'w')}
            let pc = vec4<f32>(p[r * SPLIT + c]);
            v0 = fma(pc, w0, v0); v1 = fma(pc, w1, v1);
          }
        }
        acc[2u * k] = v0; acc[2u * k + 1u] = v1;
      }
    }
  }
  let part = (bkv * NSPLIT + split) * REP;
  ${
    kh > 1
      ? `// The KH key subsets of each output, added in order.
  if (half < KH) { halves[(half * OUTS + lid % OUTS) * 2u] = acc[0]; halves[(half * OUTS + lid % OUTS) * 2u + 1u] = acc[1]; }
  workgroupBarrier();
  if (lid < OUTS) {
    var v0 = halves[lid * 2u]; var v1 = halves[lid * 2u + 1u];
    for (var hh = 1u; hh < KH; hh++) { v0 += halves[(hh * OUTS + lid) * 2u]; v1 += halves[(hh * OUTS + lid) * 2u + 1u]; }
    PO[part * D4 + 2u * lid] = v0; PO[part * D4 + 2u * lid + 1u] = v1;
  }`
      : `for (var k = 0u; k < PER; k++) {
    let o = lid + k * T;
    if (o < OUTS) { PO[part * D4 + 2u * o] = acc[2u * k]; PO[part * D4 + 2u * o + 1u] = acc[2u * k + 1u]; }
  }`
  }
  if (lid < REP) { PS[(part + lid) * 2u] = redM[lid * HALF]; PS[(part + lid) * 2u + 1u] = redL[lid * HALF]; }
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
