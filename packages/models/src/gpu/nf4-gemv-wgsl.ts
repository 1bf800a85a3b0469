/**
 * y = x·Wᵀ (+ s·((x·Aᵀ)·Bᵀ)) for a few rows with W a frozen NF4 weight (Nf4Matrix): a decoding step's linear
 * layers with the seed's quantized Qwen3-8B. Without it each such product took the NF4 GEMM, which dequantized
 * the whole weight to f16 first (nf4-frozen-matmul.ts: a copy per product, per step). Like f16-gemv-wgsl.ts
 * it streams W once, memory-bound, x kept in f32, and the partial sums of a feature are added in a fixed order
 * (a row's result does not depend on M); it shares that kernel's LoRA phase (gemv-lora-wgsl.ts), row buckets and
 * split (GemvTiling: `features` a workgroup, `loadBatch` loads in flight; `rows` is the f16 kernel's alone).
 * - W's storage is quant/nf4-matrix.ts's contract: row-major codes, two a byte, one f32 scale a block of 64. With
 *   K a multiple of 32 a vec4<u32> holds 32 consecutive codes of one row and one block, so an invocation reads
 *   a vec4 of codes and one scale, and the 256 invocations are `features` groups of 256/features lanes, a group
 *   walking its row's vec4s in order (neighbouring lanes, neighbouring words).
 * - The 16 code values sit in workgroup memory: 16 words in 16 banks, so any pattern of lookups is conflict-free.
 * - The scale is taken out of the 32 products it shares: p = Σ x·v over the vec4 (an fma chain), then
 *   acc = fma(p, scale, acc). The weights are exactly v·scale (no rounding of the dequantized value), which the
 *   error bound (gemv-tolerance.ts) allows for.
 * M is read at run time (C is exactly [M, N]) up to the row bucket the pipeline was built for.
 */
import { NF4_TABLE } from '../quant/nf4-matrix.js';
import { PORTABLE_GEMV_TILING, type GemvShape } from './f16-gemv-wgsl.js';
import { gemvLoraAddWgsl, gemvLoraBindings, gemvLoraPhaseWgsl, lowRankSplit } from './gemv-lora-wgsl.js';
import { SIGMOID } from './swiglu-wgsl.js';

const WG = 256;
/** Rows whose partial sums go through workgroup memory at once (8 × 256 floats, 8 KiB). */
const CHUNK = 8;
/** Codes a vec4<u32> holds: K and the block size must be multiples of it. */
export const NF4_GEMV_UNIT = 32;

/** The NF4 GEMV's shape: the f16 one's, and the weight's block size. */
export interface Nf4GemvShape extends GemvShape {
  readonly blocksize: number;
}

/** Whether the kernel reads a [n, k] weight of this block size (a vec4 of codes within one row and one block). */
export const nf4GemvShapeTakes = (k: number, blocksize: number): boolean =>
  k % NF4_GEMV_UNIT === 0 && blocksize % NF4_GEMV_UNIT === 0;

export const nf4GemvDispatch = (s: Nf4GemvShape): [number, number] => [
  Math.ceil(s.n / (s.tiling ?? PORTABLE_GEMV_TILING).features),
  1,
];

const lit = (v: number): string => (/[.e]/.test(String(v)) ? String(v) : `${v}.0`);

export function nf4GemvWgsl(s: Nf4GemvShape): string {
  const { n, k, rows: MB, blocksize } = s;
  if (!nf4GemvShapeTakes(k, blocksize))
    throw new RangeError(`nf4Gemv: K (${k}) and the block size (${blocksize}) must be multiples of ${NF4_GEMV_UNIT}`);
  const lora = s.rank !== undefined;
  const r = s.rank ?? 0;
  const gated = s.gated === true;
  const given = lora && s.lowGiven === true;
  const chunk = Math.min(CHUNK, MB);
  const { features: fpw, loadBatch } = s.tiling ?? PORTABLE_GEMV_TILING;
  // Lanes a feature's row is read by, vec4s a row holds, and each lane's trip count over them.
  const lpf = WG / fpw;
  const kv = k / NF4_GEMV_UNIT;
  const it = Math.ceil(kv / lpf);
  const nl = Math.max(1, Math.min(loadBatch, it));
  // The 32 code values of the vec4 in registers (w{i}, u{i} for the gated kernel's up weight), decoded once for
  // every row of the batch.
  const decode = (q: string, w: string) =>
    Array.from({ length: NF4_GEMV_UNIT }, (_, i) => {
      const word = `${q}.${'xyzw'[i >> 3]}`;
      const shift = (((i & 7) >> 1) * 8 + (i & 1 ? 0 : 4)) >>> 0;
      return `let ${w}${i} = tbl[(${word} >> ${shift}u) & 15u];`;
    }).join(' ');
  // One weight's 32 products with row m's x (8 vec4 loads, shared by the gated kernel's two weights).
  const chain = (w: string, p: string) =>
    `var ${p} = 0.0; ` +
    Array.from({ length: NF4_GEMV_UNIT }, (_, i) => `${p} = fma(x${i >> 2}.${'xyzw'[i & 3]}, ${w}${i}, ${p});`).join(
      ' ',
    );
  const xLoads = Array.from({ length: 8 }, (_, i) => `let x${i} = X[xb + ${i}u];`).join(' ');
  const inputs: [string, string][] = [
    ['X', 'vec4<f32>'],
    ['Q', 'vec4<u32>'],
    ['S', 'f32'],
    ...(gated
      ? ([
          ['Q2', 'vec4<u32>'],
          ['S2', 'f32'],
        ] as [string, string][])
      : []),
    ...(lora ? gemvLoraBindings(k, gated, given) : []),
  ];
  const bindings = [
    ...inputs.map(([name, type], i) => `@group(0) @binding(${i}) var<storage, read> ${name}: array<${type}>;`),
    `@group(0) @binding(${inputs.length}) var<storage, read_write> C: array<f32>;`,
  ];
  const loraAddOf = (v: string, low: string, B: string) => (lora ? gemvLoraAddWgsl(v, low, B, s.scaling ?? 1) : '');
  // A product's sum over its feature's LPF partials (lanes in order), from workgroup memory.
  const reduce = (v: string) => `${v} = 0.0;
        for (var a = 0u; a < LPF; a++) { ${v} += part[i * WG + ff * LPF + a]; }`;
  const store = (acc: string) => `workgroupBarrier();
    for (var i = 0u; i < CH; i++) { part[i * WG + lid] = ${acc}[m0 + i]; }
    workgroupBarrier();`;
  return `const N = ${n}u; const K = ${k}u; const KV = ${kv}u; const VPB = ${blocksize / NF4_GEMV_UNIT}u;
const FPW = ${fpw}u; const LPF = ${lpf}u; const IT = ${it}u; const NL = ${nl}u;
const MB = ${MB}u; const CH = ${chunk}u; const WG = ${WG}u;${lora ? ` const R = ${r}u; const SL = ${lowRankSplit(k, r).slices}u;` : ''}
${bindings.join('\n')}
const NF4_VALUES = array<f32, 16>(${NF4_TABLE.map(lit).join(', ')});
var<workgroup> tbl: array<f32, 16>;
var<workgroup> part: array<f32, ${chunk * WG}>;
${lora ? `var<workgroup> low: array<f32, ${MB * r}>;` : ''}
${lora && gated ? `var<workgroup> low2: array<f32, ${MB * r}>;` : ''}
${gated ? SIGMOID : ''}
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&C) / N;
  if (lid < 16u) { tbl[lid] = NF4_VALUES[lid]; }
  workgroupBarrier();${lora ? gemvLoraPhaseWgsl(k, r, gated, given) : ''}
  // Lane \`lane\` of feature f reads vec4s lane, lane + LPF, ... of the feature's row; the last workgroup's
  // features past N read row N − 1 and store nothing. NL vec4s (and their scales) are loaded before any is used.
  let f = lid / LPF; let lane = lid % LPF;
  let row = min(wg.x * FPW + f, N - 1u) * KV;
  var acc: array<f32, MB>;
  ${gated ? 'var acc2: array<f32, MB>;' : ''}
  for (var ib = 0u; ib < IT; ib += NL) {
    var qb: array<vec4<u32>, NL>; var sb: array<f32, NL>;
    ${gated ? 'var ub: array<vec4<u32>, NL>; var tb: array<f32, NL>;' : ''}
    for (var j = 0u; j < NL; j++) {
      let v = row + min(lane + (ib + j) * LPF, KV - 1u);
      qb[j] = Q[v]; sb[j] = S[v / VPB];${gated ? ' ub[j] = Q2[v]; tb[j] = S2[v / VPB];' : ''}
    }
    for (var j = 0u; j < NL; j++) {
      let kk = lane + (ib + j) * LPF;
      if (kk < KV) {
        let q = qb[j]; ${decode('q', 'w')}
        ${gated ? `let q2 = ub[j]; ${decode('q2', 'u')}` : ''}
        for (var m = 0u; m < MB; m++) {
          if (m < M) {
            let xb = m * (K / 4u) + kk * 8u; ${xLoads}
            ${chain('w', 'p')} acc[m] = fma(p, sb[j], acc[m]);
            ${gated ? `${chain('u', 'p2')} acc2[m] = fma(p2, tb[j], acc2[m]);` : ''}
          }
        }
      }
    }
  }
  // The LPF partial sums of a feature, added in lane order whatever M is.
  for (var m0 = 0u; m0 < MB; m0 += CH) {
    ${store('acc')}
    let i = lid / FPW; let ff = lid % FPW; let m = m0 + i; let nn = wg.x * FPW + ff;
    let live = lid < CH * FPW && m < M && nn < N;
    var sum = 0.0;
    if (live) {
        ${reduce('sum')}${loraAddOf('sum', 'low', 'LB')}
    }${
      gated
        ? `
    ${store('acc2')}
    var up = 0.0;
    if (live) {
        ${reduce('up')}${loraAddOf('up', 'low2', 'LB2')}
        C[m * N + nn] = (sum * sigmoid(sum)) * up;
    }`
        : `
    if (live) { C[m * N + nn] = sum; }`
    }
  }
}`;
}
