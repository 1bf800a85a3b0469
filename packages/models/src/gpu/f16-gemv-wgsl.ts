/**
 * y = x·Wᵀ (+ s·((x·Aᵀ)·Bᵀ)) for a few rows: the linear layers of a decoding step, where M is the batch.
 * The tile GEMMs (gemm-*-wgsl.ts) pad M to their 128-row tiles and first pack x to f16, one dispatch more per
 * product: on the H200 a decoding step's 196 products took 91 µs each plus 7 µs of packing at batch 1
 * (RecordedStep.profile, bench/results/2026-11-28-gen-h200-session12.md), where reading Qwen3-0.6B's f16
 * weights once takes ~0.2 ms in all. This kernel streams W once, memory-bound:
 * - one workgroup per 16 output features: a tile row of the packed W (gemm-layout.ts), which is 16·Kp
 *   contiguous halves, read as vec4<u32> (8 halves of one stored row) by 256 invocations in a row;
 * - x stays f32 (no pack) and is read straight from its buffer for every row of the batch, the weight
 *   widened to f32: each product is a plain f32 fma, so the only rounding besides the sums' is W's own
 *   (a tighter error than the GEMM's, which also rounds x to f16);
 * - each invocation owns one output feature and an eighth of K's tiles for every row, and the 16 partial sums
 *   of a feature are added in workgroup memory in a fixed order: a row's result does not depend on M;
 * - with LoRA, the workgroup first computes the row's r low-rank values x·Aᵀ (each workgroup again: at a few
 *   rows that is cheaper than another dispatch, as in lora-add-wgsl.ts) and adds (t·B[n]ᵀ)·s after the sum,
 *   in tfjs's order.
 * M is read at run time (C is exactly [M, N]) up to the row bucket the pipeline was built for.
 */
import { f32Literal } from './fused-elementwise.js';
import { padTo } from './gemm-layout.js';

/** Rows up to which a product takes this kernel (decoding batches up to 32); above it the tile GEMMs take it. */
export const GEMV_MAX_ROWS = 32;
/** Invocations per workgroup; each tile row of W is 32 vec4<u32> per 16 K. */
const WG = 256;
/** Rows whose partial sums go through workgroup memory at once (8 × 256 floats, 8 KiB). */
const CHUNK = 8;

/** The row bound one pipeline serves: M in (previous bucket, bucket] shares it. */
export function gemvRowBucket(m: number): number {
  for (const b of [1, 4, 8, 16, GEMV_MAX_ROWS]) if (m <= b) return b;
  throw new RangeError(`gemv takes at most ${GEMV_MAX_ROWS} rows, got ${m}`);
}

export interface GemvShape {
  /** Output features (W's rows). */
  readonly n: number;
  /** Input features (W's columns, x's). */
  readonly k: number;
  /** The row bound (gemvRowBucket). */
  readonly rows: number;
  /** LoRA rank, when the branch is fused in. */
  readonly rank?: number;
  readonly scaling?: number;
}

/** Largest LoRA rank fused in (workgroup memory holds rows × rank low-rank values). */
export const GEMV_MAX_RANK = 32;

export const gemvDispatch = (s: GemvShape): [number, number] => [Math.ceil(s.n / 16), 1];

export function gemvWgsl(s: GemvShape): string {
  const { n, k, rows: MB } = s;
  const kp = padTo(k);
  const lora = s.rank !== undefined;
  const r = s.rank ?? 0;
  const chunk = Math.min(CHUNK, MB);
  // x as vec4 when a run of 8 inputs never crosses a row's end (K a multiple of 8); else scalars, masked.
  const vecX = k % 8 === 0;
  const xLoads = vecX
    ? `let xa = X[xb / 4u]; let xc = X[xb / 4u + 1u];
          s = fma(xa.x, w0.x, s); s = fma(xa.y, w0.y, s); s = fma(xa.z, w1.x, s); s = fma(xa.w, w1.y, s);
          s = fma(xc.x, w2.x, s); s = fma(xc.y, w2.y, s); s = fma(xc.z, w3.x, s); s = fma(xc.w, w3.y, s);`
    : [0, 1, 2, 3, 4, 5, 6, 7]
        .map((i) => {
          const w = `w${i >> 1}.${i & 1 ? 'y' : 'x'}`;
          return `s = fma(select(0.0, X[xb + ${i}u], k0 + ${i}u < K), ${w}, s);`;
        })
        .join('\n          ');
  // Slices of K per low-rank value: the invocations split as rank × slices (slices a power of two).
  const rp = lora ? 2 ** Math.ceil(Math.log2(Math.max(r, 1))) : 1;
  const slices = WG / rp;
  // The low-rank sums read vec4s of x and A where x is read so (K a multiple of 8), else scalars; every loop has
  // a constant trip count, so the compiler can unroll it and issue the loads together (a loop over k from the
  // invocation's own start walked one dependent load at a time: 50 µs a product on the H200).
  const kw = vecX ? k / 4 : k;
  const loraPhase = lora
    ? `
  // t[m][j] = Σ_k x[m,k]·A[j,k]: invocation (j, sl) sums the ${vecX ? 'vec4s' : 'inputs'} ≡ sl (mod SL), neighbours
  // reading neighbours.
  {
    let j = lid / SL; let sl = lid % SL;
    var la: array<f32, CH>;
    for (var m0 = 0u; m0 < MB; m0 += CH) {
      // Zeroed by hand: a var declared in the loop kept the previous chunk's sums on lavapipe.
      for (var i = 0u; i < CH; i++) { la[i] = 0.0; }
      if (j < R) {
        for (var it = 0u; it < ${Math.ceil(kw / slices)}u; it++) {
          let kk = sl + it * SL;
          if (kk < ${kw}u) {
            let av = LA[j * ${kw}u + kk];
            for (var i = 0u; i < CH; i++) {
              if (m0 + i < M) { la[i] += ${vecX ? 'dot(X[(m0 + i) * ' + kw + 'u + kk], av)' : 'X[(m0 + i) * K + kk] * av'}; }
            }
          }
        }
      }
      for (var i = 0u; i < CH; i++) { part[i * WG + lid] = la[i]; }
      workgroupBarrier();
      for (var e = lid; e < CH * R; e += WG) {
        let i = e / R; let jj = e % R;
        var t = 0.0;
        for (var q = 0u; q < SL; q++) { t += part[i * WG + jj * SL + q]; }
        low[(m0 + i) * R + jj] = t;
      }
      workgroupBarrier();
    }
  }`
    : '';
  const loraAdd = lora
    ? `
          var lw = 0.0;
          for (var jj = 0u; jj < R; jj++) { lw = fma(low[m * R + jj], LB[nn * R + jj], lw); }
          sum = sum + lw * ${f32Literal(s.scaling ?? 1)};`
    : '';
  const bindings = [
    `@group(0) @binding(0) var<storage, read> X: array<${vecX ? 'vec4<f32>' : 'f32'}>;`,
    `@group(0) @binding(1) var<storage, read> W: array<vec4<u32>>;`,
    ...(lora
      ? [
          `@group(0) @binding(2) var<storage, read> LA: array<${vecX ? 'vec4<f32>' : 'f32'}>;`,
          `@group(0) @binding(3) var<storage, read> LB: array<f32>;`,
        ]
      : []),
    `@group(0) @binding(${lora ? 4 : 2}) var<storage, read_write> C: array<f32>;`,
  ];
  return `const N = ${n}u; const K = ${k}u; const KT = ${Math.ceil(k / 16)}u; const TPR = ${kp / 16}u;
const MB = ${MB}u; const CH = ${chunk}u; const WG = ${WG}u;${lora ? ` const R = ${r}u; const SL = ${slices}u;` : ''}
${bindings.join('\n')}
var<workgroup> part: array<f32, ${chunk * WG}>;
${lora ? `var<workgroup> low: array<f32, ${MB * r}>;` : ''}
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&C) / N;
  let tr = wg.x;${loraPhase}
  // Invocation lid reads vec4 (lid & 31) of every eighth tile from tile lid >> 5: stored row (lid & 31) >> 1
  // of the tile row, inputs 8·(lid & 1) .. +7 of the tile.
  let row = (lid & 31u) >> 1u; let h = lid & 1u;
  var acc: array<f32, MB>;
  let base = tr * TPR * 32u + (lid & 31u);
  for (var it = 0u; it < ${Math.ceil(Math.ceil(k / 16) / 8)}u; it++) {
    let kt = (lid >> 5u) + it * 8u;
    if (kt >= KT) { break; }
    let wv = W[base + kt * 32u];
    let w0 = unpack2x16float(wv.x); let w1 = unpack2x16float(wv.y);
    let w2 = unpack2x16float(wv.z); let w3 = unpack2x16float(wv.w);
    let k0 = kt * 16u + h * 8u;
    ${vecX ? 'if (k0 < K) {' : '{'}
      for (var m = 0u; m < MB; m++) {
        if (m < M) {
          let xb = m * K + k0;
          var s = acc[m];
          ${xLoads}
          acc[m] = s;
        }
      }
    }
  }
  // The 16 partial sums of a feature (8 tile phases × 2 halves), added in one order whatever M is.
  for (var m0 = 0u; m0 < MB; m0 += CH) {
    workgroupBarrier();
    for (var i = 0u; i < CH; i++) { part[i * WG + lid] = acc[m0 + i]; }
    workgroupBarrier();
    if (lid < CH * 16u) {
      let i = lid / 16u; let rr = lid % 16u; let m = m0 + i; let nn = tr * 16u + rr;
      if (m < M && nn < N) {
        var sum = 0.0;
        for (var a = 0u; a < 8u; a++) {
          sum += part[i * WG + a * 32u + rr * 2u] + part[i * WG + a * 32u + rr * 2u + 1u];
        }${loraAdd}
        C[m * N + nn] = sum;
      }
    }
  }
}`;
}
