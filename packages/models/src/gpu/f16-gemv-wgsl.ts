/**
 * y = x·Wᵀ (+ s·((x·Aᵀ)·Bᵀ)) for a few rows: the linear layers of a decoding step, where M is the batch.
 * The tile GEMMs (gemm-*-wgsl.ts) pad M to their 128-row tiles and first pack x to f16, one dispatch more per
 * product: on the H200 a decoding step's 196 products took 91 µs each plus 7 µs of packing at batch 1
 * (RecordedStep.profile, bench/results/2026-11-28-gen-h200-session12.md), where reading Qwen3-0.6B's f16
 * weights once takes ~0.2 ms in all. This kernel streams W once, memory-bound:
 * - one workgroup per 16 output features (a tile row of the packed W, gemm-layout.ts: 16·Kp contiguous
 *   halves) or per 8 (half a tile row: `GemvTiling`), read as vec4<u32> (8 halves of one stored row) by 256
 *   invocations, 2·features of them to a tile, each loading `loadBatch` tiles before using any;
 * - x stays f32 (no pack) and is read straight from its buffer for every row of the batch, the weight
 *   widened to f32: each product is a plain f32 fma, so the only rounding besides the sums' is W's own
 *   (a tighter error than the GEMM's, which also rounds x to f16);
 * - each invocation owns one output feature and a share of K's tiles for every row, and the partial sums of a
 *   feature are added in workgroup memory in a fixed order: a row's result does not depend on M;
 * - with LoRA, the workgroup first computes the row's r low-rank values x·Aᵀ (each workgroup again: at a few
 *   rows that is cheaper than another dispatch, as in lora-add-wgsl.ts) and adds (t·B[n]ᵀ)·s after the sum,
 *   in tfjs's order.
 * M is read at run time (C is exactly [M, N]) up to the row bucket the pipeline was built for.
 */
import {
  GEMV_CHUNK,
  GEMV_WG,
  gemvEpilogueWgsl,
  gemvLoraAddWgsl,
  gemvDeclarationsWgsl,
  gemvLoraConstsWgsl,
  gemvLoraPhaseWgsl,
} from './gemv-parts-wgsl.js';
import { padTo } from './gemm-layout.js';

/** Rows up to which a product takes this kernel (decoding batches up to 32); above it the tile GEMMs take it. */
export const GEMV_MAX_ROWS = 32;
/** Each tile row of W is 32 vec4<u32> per 16 K. */
const WG = GEMV_WG;
const CHUNK = GEMV_CHUNK;

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
  /** How the work splits (f16-gemv.ts picks it per device; benchmarks compare them); default PORTABLE_GEMV_TILING. */
  readonly tiling?: GemvTiling;
  /**
   * SwiGLU's two products in one: W is the gate's weight, a second (W2, with its own LoRA pair) the up
   * projection's, and C = silu(x·Wᵀ)·(x·W2ᵀ) as swiglu-wgsl.ts computes it from the two products' values.
   */
  readonly gated?: boolean;
  /**
   * The LoRA branch's low-rank values t = x·Aᵀ come computed ([M, rank] in place of A; low-rank-down.ts, one
   * dispatch for the products that read the same x): each workgroup copies them instead of computing them again.
   * The values are the ones this kernel computes, bit for bit, so the outputs are too.
   */
  readonly lowGiven?: boolean;
}

/**
 * Output features per workgroup (a tile row's 16, or half of it: twice the workgroups for a decoding step's
 * N = 1024 products, which otherwise leave half of the H200's 132 SMs idle), output features per invocation
 * (`rows`: each x value loaded once for that many weight rows; at batch 8 an invocation loads 16 x vectors per
 * weight vector with one row) and how many tiles an invocation loads before it uses any (at most; the largest
 * power of two dividing its trip count).
 */
export interface GemvTiling {
  readonly features: 8 | 16;
  readonly loadBatch: number;
  /** Default 1. */
  readonly rows?: 1 | 2 | 4;
}

/**
 * The split for GPUs with tensor cores (devices with subgroup matrices, f16-gemv.ts gemvTiling): half a tile row a
 * workgroup, 4 tiles in flight, 2 weight rows an invocation. Of the eight splits bench/gpu/gemv-bench.ts timed on
 * the H200 (the decoding step's 196 products) it was the fastest at batch 1 and 8 with the LoRA branch, and within
 * 3 % of the fastest at 32: 7.7 / 11.5 / 22.9 ms a step at B1 / B8 / B32 against 10.0 / 16.3 / 36.2 for
 * PORTABLE_GEMV_TILING (bench/results/2026-11-29-gen-h200-session15.md). One split for every batch: a feature's
 * partial sums are added in an order fixed by TPI alone (256 · rows / (2 · features) = 32 here), so a row's result
 * stays the same at any batch size.
 */
export const TUNED_GEMV_TILING: GemvTiling = { features: 8, loadBatch: 4, rows: 2 };

/**
 * The split elsewhere, and the generator's default: a whole tile row a workgroup, one load at a time (session 12's
 * kernel). Lavapipe (CI) compiles it in under a second; the tuned split's unrolled loads took it 30–60 s a
 * pipeline (f16-gemv.test.ts on 2 cores), where its speed does not matter.
 */
export const PORTABLE_GEMV_TILING: GemvTiling = { features: 16, loadBatch: 1 };

/** Largest LoRA rank fused in (workgroup memory holds rows × rank low-rank values). */
export const GEMV_MAX_RANK = 32;

export const gemvDispatch = (s: GemvShape): [number, number] => [
  Math.ceil(s.n / (s.tiling ?? PORTABLE_GEMV_TILING).features),
  1,
];

/** The f16 kernel's weight bindings: the packed tile rows (and the up projection's, gated). */
const WEIGHTS = [['W', 'vec4<u32>']] as const;
const WEIGHTS_GATED = [...WEIGHTS, ['W2', 'vec4<u32>']] as const;

export function gemvWgsl(s: GemvShape): string {
  const { n, k, rows: MB } = s;
  const kp = padTo(k);
  const lora = s.rank !== undefined;
  const r = s.rank ?? 0;
  const chunk = Math.min(CHUNK, MB);
  const { features: fpw, loadBatch, rows: rpi = 1 } = s.tiling ?? PORTABLE_GEMV_TILING;
  // Invocations a tile is read by (each: `rpi` stored rows, one half of the tile's 16 inputs), tiles a workgroup
  // reads at once, and the loop's trip count over the padded tiles.
  const lpt = (2 * fpw) / rpi;
  const tpi = WG / lpt;
  const it = Math.ceil(kp / 16 / tpi);
  let lb = 1;
  while (lb * 2 <= loadBatch && it % (lb * 2) === 0) lb *= 2;
  // Rows of the batch whose partial sums go through workgroup memory at once (rpi values each).
  const chr = Math.max(1, chunk / rpi);
  // x as vec4 when a run of 8 inputs never crosses a row's end (K a multiple of 8); else scalars, masked. Each
  // x value is multiplied into the invocation's `rpi` weight rows (w{row}_{pair}) while it is in registers.
  const vecX = k % 8 === 0;
  const rowsOf = (f: (jr: number) => string): string =>
    Array.from({ length: rpi }, (_, jr) => f(jr)).join('\n            ');
  const unpack = (jr: number, buf: string, w: string) =>
    `let ${w}v${jr} = ${buf}[j * RPI + ${jr}u]; let ${w}${jr}_0 = unpack2x16float(${w}v${jr}.x); let ${w}${jr}_1 = unpack2x16float(${w}v${jr}.y); let ${w}${jr}_2 = unpack2x16float(${w}v${jr}.z); let ${w}${jr}_3 = unpack2x16float(${w}v${jr}.w);`;
  const xValue = (i: number): string =>
    vecX ? `${i < 4 ? 'xa' : 'xc'}.${'xyzw'[i % 4]}` : `select(0.0, X[xb + ${i}u], k0 + ${i}u < K)`;
  const gated = s.gated === true;
  // One weight's products for row jr: its sum s (acc, or acc2 for the gated kernel's up weight), w (its unpacked
  // halves: w{jr}_{pair}, or u{jr}_{pair}).
  const fmaRow = (jr: number, sv: string, acc: string, w: string) => {
    const fmas = [0, 1, 2, 3, 4, 5, 6, 7]
      .map((i) => `${sv}${jr} = fma(${xValue(i)}, ${w}${jr}_${i >> 1}.${i & 1 ? 'y' : 'x'}, ${sv}${jr});`)
      .join(' ');
    return `var ${sv}${jr} = ${acc}[${jr}u * MB + m]; ${fmas} ${acc}[${jr}u * MB + m] = ${sv}${jr};`;
  };
  const xLoads = `${vecX ? 'let xa = X[xb / 4u]; let xc = X[xb / 4u + 1u];' : ''}
            ${rowsOf((jr) => fmaRow(jr, 's', 'acc', 'w') + (gated ? ' ' + fmaRow(jr, 'q', 'acc2', 'u') : ''))}`;
  const loraPhase = lora ? gemvLoraPhaseWgsl(k, r, gated, s.lowGiven === true) : '';
  // The low-rank branch added to a product's sum (v), in tfjs's order.
  const loraAddOf = (v: string, low: string, B: string) => (lora ? gemvLoraAddWgsl(v, low, B, s.scaling ?? 1) : '');
  // A product's sum over the 2·TPI partials of its feature, from workgroup memory (acc's or acc2's).
  const reduce = (v: string) => `${v} = 0.0;
        for (var a = 0u; a < TPI; a++) {
          ${v} += part[col + a * LPT] + part[col + a * LPT + 1u];
        }`;
  const store = (acc: string) => `workgroupBarrier();
    for (var i = 0u; i < CHR; i++) {
      for (var jr = 0u; jr < RPI; jr++) { part[(i * RPI + jr) * WG + lid] = ${acc}[jr * MB + m0 + i]; }
    }
    workgroupBarrier();`;
  return `const N = ${n}u; const K = ${k}u; const TPR = ${kp / 16}u;
const FPW = ${fpw}u; const RPI = ${rpi}u; const LPT = ${lpt}u; const TPI = ${tpi}u; const IT = ${it}u; const NL = ${lb}u;
const MB = ${MB}u; const CH = ${chunk}u; const CHR = ${chr}u; const WG = ${WG}u;${gemvLoraConstsWgsl(k, s.rank)}
${gemvDeclarationsWgsl(s, vecX ? 'vec4<f32>' : 'f32', gated ? WEIGHTS_GATED : WEIGHTS)}
var<workgroup> part: array<f32, ${Math.max(chunk, chr * rpi) * WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&C) / N;
  let tr = wg.x;${loraPhase}
  // Invocation lid reads, of every TPI-th tile from tile \`sub\`, the vec4s of stored rows RPI·(lane >> 1) ..
  // +RPI−1 of the workgroup's FPW rows of the tile row, inputs 8·(lane & 1) .. +7 of the tile. The loop runs over
  // the padded tiles (zeros past K) with a constant trip count and loads NL tiles before using any, so that many
  // loads are in flight at once: a decoding step's products are too small to hide one load's latency behind others.
  let lane = lid % LPT; let sub = lid / LPT;
  let h = lane & 1u;
  var acc: array<f32, ${rpi} * MB>;
  ${gated ? `var acc2: array<f32, ${rpi} * MB>;` : ''}
  let base = (tr / ${16 / fpw}u) * TPR * 32u + ((tr % ${16 / fpw}u) * FPW + (lane >> 1u) * RPI) * 2u + h;
  for (var ib = 0u; ib < IT; ib += NL) {
    var wb: array<vec4<u32>, ${lb * rpi}>;
    ${gated ? `var ub: array<vec4<u32>, ${lb * rpi}>;` : ''}
    // Past the last tile (only where a row has fewer tiles than a round reads) the load repeats the last one,
    // whose inputs k0 then skips.
    for (var j = 0u; j < NL; j++) {
      let t = base + min(sub + (ib + j) * TPI, TPR - 1u) * 32u;
      for (var jr = 0u; jr < RPI; jr++) { wb[j * RPI + jr] = W[t + 2u * jr];${gated ? ' ub[j * RPI + jr] = W2[t + 2u * jr];' : ''} }
    }
    for (var j = 0u; j < NL; j++) {
      ${rowsOf((jr) => unpack(jr, 'wb', 'w') + (gated ? ' ' + unpack(jr, 'ub', 'u') : ''))}
      let k0 = (sub + (ib + j) * TPI) * 16u + h * 8u;
      if (k0 < K) {
        for (var m = 0u; m < MB; m++) {
          if (m < M) {
            let xb = m * K + k0;
            ${xLoads}
          }
        }
      }
    }
  }
  // The 2·TPI partial sums of a feature (TPI tile phases × 2 halves), added in one order whatever M is.
  ${gemvEpilogueWgsl('let i = lid / FPW; let rr = lid % FPW; let m = m0 + i; let nn = tr * FPW + rr; let col = (i * RPI + rr % RPI) * WG + (rr / RPI) * 2u;', store, reduce, loraAddOf, gated)}
}`;
}
