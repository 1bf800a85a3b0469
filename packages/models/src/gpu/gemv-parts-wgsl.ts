/**
 * The WGSL both GEMV kernels share (f16-gemv-wgsl.ts for f16 weights, nf4-gemv-wgsl.ts for NF4 ones): the LoRA
 * branch y += s·((x·Aᵀ)·Bᵀ) as they fuse it, with how low-rank-down-wgsl.ts sums the same values in a dispatch of
 * its own (one place for the order of those sums, so the three kernels give the same bits), and the epilogue that
 * adds a feature's partial sums, the branch and (gated) SwiGLU's gate.
 * The WGSL here expects of the kernel it is pasted into: `X` (x, vec4<f32> when lowRankSplit's vecX, else f32),
 * `LA`/`LB` (`LA2`/`LB2` for the gated kernel's second product) or `LT` (`LT2`) when the values come given, the
 * constants `MB` (row bound), `CH` (rows a chunk), `WG` (256), `R` and `SL`, `M` (rows, at run time), `lid`,
 * `var<workgroup> part` of at least CH·WG floats and `low` (`low2`) of MB·R.
 */
import { f32Literal } from './fused-elementwise.js';
import { SIGMOID } from './swiglu-wgsl.js';

/** Invocations per workgroup of both GEMV kernels (f16-gemv-wgsl.ts, nf4-gemv-wgsl.ts). */
export const GEMV_WG = 256;
/** Rows whose partial sums go through workgroup memory at once (8 × 256 floats, 8 KiB). */
export const GEMV_CHUNK = 8;
const WG = GEMV_WG;

/**
 * How the low-rank values t = x·Aᵀ are summed: 256 invocations as rank (rounded up to a power of two) × `slices`;
 * invocation (j, sl) adds its row's products over the `kw` units ≡ sl (mod slices), vec4s of x and A where x is
 * read so (K a multiple of 8), else scalars, `iters` of them in a constant trip count, so the compiler can unroll
 * it and issue the loads together (a loop over k from the invocation's own start walked one dependent load at a
 * time: 50 µs a product on the H200); then t[j] is the sum of the slices' partials, in slice order.
 */
export function lowRankSplit(k: number, rank: number): { slices: number; kw: number; vecX: boolean; iters: number } {
  const rp = 2 ** Math.ceil(Math.log2(Math.max(rank, 1)));
  const slices = WG / rp;
  const vecX = k % 8 === 0;
  const kw = vecX ? k / 4 : k;
  return { slices, kw, vecX, iters: Math.ceil(kw / slices) };
}

/**
 * The phase before the product: each workgroup computes t = x·Aᵀ [M, R] into workgroup memory (`low`, and `low2`
 * for the gated kernel's up projection), or copies it from LT (LT2) when given (GemvShape.lowGiven).
 */
export function gemvLoraPhaseWgsl(k: number, rank: number, gated: boolean, given: boolean): string {
  if (given)
    return `
  for (var e = lid; e < M * R; e += WG) { low[e] = LT[e];${gated ? ' low2[e] = LT2[e];' : ''} }
  workgroupBarrier();`;
  const { slices, kw, vecX } = lowRankSplit(k, rank);
  const phaseOf = (A: string, low: string) => `
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
            let av = ${A}[j * ${kw}u + kk];
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
        ${low}[(m0 + i) * R + jj] = t;
      }
      workgroupBarrier();
    }
  }`;
  return phaseOf('LA', 'low') + (gated ? phaseOf('LA2', 'low2') : '');
}

/** Adds the branch to product `v` of row m, feature nn (after its sum, in tfjs's order): v + (t·B[nn]ᵀ)·s. */
export const gemvLoraAddWgsl = (v: string, low: string, B: string, scaling: number): string => `
          var lw${v} = 0.0;
          for (var jj = 0u; jj < R; jj++) { lw${v} = fma(${low}[m * R + jj], ${B}[nn * R + jj], lw${v}); }
          ${v} = ${v} + lw${v} * ${f32Literal(scaling)};`;

/** The LoRA constants after a kernel's own: ` const R = r; const SL = slices;`, or nothing without LoRA. */
export const gemvLoraConstsWgsl = (k: number, rank: number | undefined): string =>
  rank === undefined ? '' : ` const R = ${rank}u; const SL = ${lowRankSplit(k, rank).slices}u;`;

/**
 * The declarations both kernels make after their constants: the bindings (X of `xType`, the kernel's `weights`,
 * per product the branch's A (or the given t) and B, then C), the LoRA values' workgroup arrays (`low`, `low2`)
 * and, gated, the sigmoid.
 */
export function gemvDeclarationsWgsl(
  s: {
    readonly k: number;
    readonly rows: number;
    readonly rank?: number;
    readonly gated?: boolean;
    readonly lowGiven?: boolean;
  },
  xType: string,
  weights: readonly (readonly [string, string])[],
): string {
  const lora = s.rank !== undefined;
  const gated = s.gated === true;
  const aType = lowRankSplit(s.k, 1).vecX ? 'vec4<f32>' : 'f32';
  const pair = (p: string): [string, string][] => [
    s.lowGiven ? [`LT${p}`, 'f32'] : [`LA${p}`, aType],
    [`LB${p}`, 'f32'],
  ];
  const inputs = [['X', xType], ...weights, ...(lora ? [...pair(''), ...(gated ? pair('2') : [])] : [])];
  const low = (name: string) => `var<workgroup> ${name}: array<f32, ${s.rows * (s.rank ?? 0)}>;`;
  return [
    ...inputs.map(([name, type], i) => `@group(0) @binding(${i}) var<storage, read> ${name}: array<${type}>;`),
    `@group(0) @binding(${inputs.length}) var<storage, read_write> C: array<f32>;`,
    ...(lora ? [low('low')] : []),
    ...(lora && gated ? [low('low2')] : []),
    ...(gated ? [SIGMOID] : []),
  ].join('\n');
}

/**
 * The epilogue: for each chunk of CHR rows, `store` puts the invocations' partial sums (acc, then acc2 for the gated
 * kernel's up product) in workgroup memory, invocation lid < CHR·FPW takes row m = m0 + i, feature nn (`indices`
 * declares i, m, nn and what `reduce` reads), `reduce` adds its partials, the branch is added, and C gets the sum
 * or silu(sum)·up. The kernel declares CHR, FPW, N, M, C and `sigmoid` (gated).
 */
export function gemvEpilogueWgsl(
  indices: string,
  store: (acc: string) => string,
  reduce: (v: string) => string,
  loraAdd: (v: string, low: string, B: string) => string,
  gated: boolean,
): string {
  return `for (var m0 = 0u; m0 < MB; m0 += CHR) {
    ${store('acc')}
    ${indices}
    let live = lid < CHR * FPW && m < M && nn < N;
    var sum = 0.0;
    if (live) {
        ${reduce('sum')}${loraAdd('sum', 'low', 'LB')}
    }${
      gated
        ? `
    ${store('acc2')}
    var up = 0.0;
    if (live) {
        ${reduce('up')}${loraAdd('up', 'low2', 'LB2')}
        C[m * N + nn] = (sum * sigmoid(sum)) * up;
    }`
        : `
    if (live) { C[m * N + nn] = sum; }`
    }
  }`;
}
