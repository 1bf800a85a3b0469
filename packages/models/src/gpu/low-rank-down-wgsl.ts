/**
 * The LoRA branches' low-rank values t_p = x·A_pᵀ for up to three products that read the same x (a decoding
 * step's q, k and v; SwiGLU's gate and up), each [M, r], in one dispatch: one workgroup per (row, product), summed
 * as the GEMV's own LoRA phase sums them (f16-gemv-wgsl.ts lowRankSplit), so the GEMV given these values
 * (GemvShape.lowGiven) computes the same bits as the GEMV computing them itself. That GEMV recomputed them in every
 * workgroup (128–384 a product): on the H200 the LoRA branches cost a batch-8 step ~3 ms of its 10
 * (bench/results/2026-11-29-gen-h200-session15.md).
 * M is read at run time (the dispatch's x), so a recorded step replays at any batch size it was compiled for.
 */
import { lowRankSplit } from './gemv-parts-wgsl.js';

/** Products one dispatch takes (bindings: x, 3 A's, 3 outputs). */
export const LOW_RANK_DOWN_MAX_PRODUCTS = 3;
/** Loads a lane issues before it adds any (its units in a batch). */
const NB = 8;

export function lowRankDownWgsl(k: number, rank: number, products: number): string {
  if (products < 1 || products > LOW_RANK_DOWN_MAX_PRODUCTS)
    throw new RangeError(`lowRankDown: 1 to ${LOW_RANK_DOWN_MAX_PRODUCTS} products, got ${products}`);
  const { slices, kw, vecX, iters } = lowRankSplit(k, rank);
  const ps = Array.from({ length: products }, (_, p) => p);
  const xType = vecX ? 'vec4<f32>' : 'f32';
  // The branch for product p: the GEMV phase's sums in its order (each lane's units in turn, then the slices), but
  // its loads issued NB at a time before any is added: a lane's loop ran one dependent load at a time, 65 µs a
  // dispatch for Qwen3-8B's o and down (K 4096, 12288) at batch 8 (bench/results/2026-11-29-gen-h200-session16.md).
  const sumOf = (p: number) => `if (wg.y == ${p}u && j < R) {
      for (var it0 = 0u; it0 < ${iters}u; it0 += NB) {
        var xs: array<${xType}, NB>; var av: array<${xType}, NB>;
        for (var b = 0u; b < NB; b++) {
          let kc = min(sl + (it0 + b) * SL, ${kw - 1}u);
          xs[b] = X[m * ${kw}u + kc]; av[b] = A${p}[j * ${kw}u + kc];
        }
        for (var b = 0u; b < NB; b++) {
          if (sl + (it0 + b) * SL < ${kw}u) { la += ${vecX ? 'dot(xs[b], av[b])' : 'xs[b] * av[b]'}; }
        }
      }
    }`;
  return `const K = ${k}u; const R = ${rank}u; const SL = ${slices}u; const WG = 256u; const NB = ${NB}u;
@group(0) @binding(0) var<storage, read> X: array<${xType}>;
${ps.map((p) => `@group(0) @binding(${1 + p}) var<storage, read> A${p}: array<${xType}>;`).join('\n')}
${ps.map((p) => `@group(0) @binding(${1 + products + p}) var<storage, read_write> T${p}: array<f32>;`).join('\n')}
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let m = wg.x;
  let j = lid / SL; let sl = lid % SL;
  var la = 0.0;
  ${ps.map(sumOf).join(' else ')}
  part[lid] = la;
  workgroupBarrier();
  if (lid < R) {
    var t = 0.0;
    for (var q = 0u; q < SL; q++) { t += part[lid * SL + q]; }
    ${ps.map((p) => `if (wg.y == ${p}u) { T${p}[m * R + lid] = t; }`).join(' ')}
  }
}`;
}
