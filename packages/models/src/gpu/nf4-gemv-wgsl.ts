/**
 * y = x·Wᵀ (+ s·((x·Aᵀ)·Bᵀ)) for a few rows with W a frozen NF4 weight (Nf4Matrix): a decoding step's linear
 * layers with the seed's quantized Qwen3-8B. Without it each such product took the NF4 GEMM, which dequantized
 * the whole weight to f16 first (nf4-frozen-matmul.ts: a copy per product, per step). Like f16-gemv-wgsl.ts
 * it streams W once, memory-bound, x kept in f32, and the partial sums of a feature are added in a fixed order
 * (a row's result does not depend on M); it shares that kernel's LoRA phase and epilogue (gemv-parts-wgsl.ts), row buckets and
 * split (GemvTiling: `features` a workgroup, `loadBatch` loads in flight, `rows` weight rows an invocation).
 * - W's storage is quant/nf4-matrix.ts's contract: row-major codes, two a byte, one f32 scale a block of 64. With
 *   K a multiple of 32, 32 consecutive codes of a row lie in one block: an invocation reads, for each of its
 *   `rows` weight rows, 32/rows codes a load (a vec4<u32>, vec2 or one word) and their scale, and the 256
 *   invocations are features/rows groups of lanes, a group walking its rows' units in order (neighbouring lanes,
 *   neighbouring words). Each x vec4 loaded serves the invocation's rows: at batch 8 re-reading x for every
 *   weight row was 16 times the weights' own bytes.
 * - The 16 code values sit in workgroup memory: 16 words in 16 banks, so any pattern of lookups is conflict-free.
 * - The scale is taken out of the products it shares: p = Σ x·v over the unit (an fma chain), then
 *   acc = fma(p, scale, acc). The weights are exactly v·scale (no rounding of the dequantized value), which the
 *   error bound (gemv-tolerance.ts) allows for.
 * M is read at run time (C is exactly [M, N]) up to the row bucket the pipeline was built for.
 */
import { NF4_TABLE } from '../quant/nf4-matrix.js';
import { PORTABLE_GEMV_TILING, type GemvShape } from './f16-gemv-wgsl.js';
import {
  GEMV_CHUNK,
  GEMV_WG,
  gemvEpilogueWgsl,
  gemvLoraAddWgsl,
  gemvDeclarationsWgsl,
  gemvLoraConstsWgsl,
  gemvLoraPhaseWgsl,
} from './gemv-parts-wgsl.js';

const WG = GEMV_WG;
const CHUNK = GEMV_CHUNK;
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
  const { features: fpw, loadBatch, rows: rpi = 1 } = s.tiling ?? PORTABLE_GEMV_TILING;
  // An invocation reads RPI weight rows at once, U words (8·U codes) of each a load, so that 32 codes a load step
  // stay in registers whatever RPI is; each x vec4 it loads serves RPI rows.
  const u = 4 / rpi;
  const codes = 8 * u;
  const qType = u === 4 ? 'vec4<u32>' : u === 2 ? 'vec2<u32>' : 'u32';
  // Lanes a group of RPI rows is read by, units a row holds, each lane's trip count over them, rows of the batch
  // whose partial sums go through workgroup memory at once (RPI values each).
  const lpf = (WG * rpi) / fpw;
  const ku = k / codes;
  const it = Math.ceil(ku / lpf);
  const nl = Math.max(1, Math.min(loadBatch, it));
  const chr = Math.max(1, chunk / rpi);
  // The codes of row jr's unit in registers (w{jr}_{i}, u{jr}_{i} for the gated kernel's up weight), decoded once
  // for every row of the batch.
  const word = (q: string, i: number) => (u === 1 ? q : `${q}.${'xyzw'[i >> 3]}`);
  const decode = (q: string, w: string) =>
    Array.from({ length: codes }, (_, i) => {
      const shift = ((i & 7) >> 1) * 8 + (i & 1 ? 0 : 4);
      return `let ${w}_${i} = tbl[(${word(q, i)} >> ${shift}u) & 15u];`;
    }).join(' ');
  // One weight row's products with row m's x (2·U vec4 loads, shared by the invocation's rows and both weights).
  const chain = (w: string, p: string) =>
    `var ${p} = 0.0; ` +
    Array.from({ length: codes }, (_, i) => `${p} = fma(x${i >> 2}.${'xyzw'[i & 3]}, ${w}_${i}, ${p});`).join(' ');
  const xLoads = Array.from({ length: 2 * u }, (_, i) => `let x${i} = X[xb + ${i}u];`).join(' ');
  const rowsOf = (f: (jr: number) => string): string =>
    Array.from({ length: rpi }, (_, jr) => f(jr)).join('\n        ');
  const loraAddOf = (v: string, low: string, B: string) => (lora ? gemvLoraAddWgsl(v, low, B, s.scaling ?? 1) : '');
  // A product's sum over its row's LPF partials (lanes in order), from workgroup memory.
  const reduce = (v: string) => `${v} = 0.0;
        for (var a = 0u; a < LPF; a++) { ${v} += part[(i * RPI + rj) * WG + gg * LPF + a]; }`;
  const store = (acc: string) => `workgroupBarrier();
    for (var i = 0u; i < CHR; i++) {
      for (var jr = 0u; jr < RPI; jr++) { part[(i * RPI + jr) * WG + lid] = ${acc}[jr * MB + m0 + i]; }
    }
    workgroupBarrier();`;
  const perRow = (jr: number) => {
    const prod = `${chain(`w${jr}`, `p${jr}`)} acc[${jr}u * MB + m] = fma(p${jr}, sb[j * RPI + ${jr}u], acc[${jr}u * MB + m]);`;
    const prod2 = gated
      ? ` ${chain(`u${jr}`, `q${jr}`)} acc2[${jr}u * MB + m] = fma(q${jr}, tb[j * RPI + ${jr}u], acc2[${jr}u * MB + m]);`
      : '';
    return prod + prod2;
  };
  return `const N = ${n}u; const K = ${k}u; const KU = ${ku}u; const UPB = ${blocksize / codes}u;
const FPW = ${fpw}u; const RPI = ${rpi}u; const LPF = ${lpf}u; const IT = ${it}u; const NL = ${nl}u;
const MB = ${MB}u; const CH = ${chunk}u; const CHR = ${chr}u; const WG = ${WG}u;${gemvLoraConstsWgsl(k, s.rank)}
${gemvDeclarationsWgsl(s, 'vec4<f32>', [
  ['Q', qType],
  ['S', 'f32'],
  ...(gated
    ? ([
        ['Q2', qType],
        ['S2', 'f32'],
      ] as const)
    : []),
])}
const NF4_VALUES = array<f32, 16>(${NF4_TABLE.map(lit).join(', ')});
var<workgroup> tbl: array<f32, 16>;
var<workgroup> part: array<f32, ${Math.max(chunk, chr * rpi) * WG}>;
@compute @workgroup_size(${WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let M = arrayLength(&C) / N;
  if (lid < 16u) { tbl[lid] = NF4_VALUES[lid]; }
  workgroupBarrier();${lora ? gemvLoraPhaseWgsl(k, r, gated, given) : ''}
  // Lane \`lane\` of row group g reads units lane, lane + LPF, ... of the group's RPI rows; rows past N (the last
  // workgroup's) read row N − 1 and store nothing. NL units (and their scales) a row are loaded before any is used.
  let g = lid / LPF; let lane = lid % LPF;
  var acc: array<f32, ${rpi} * MB>;
  ${gated ? `var acc2: array<f32, ${rpi} * MB>;` : ''}
  for (var ib = 0u; ib < IT; ib += NL) {
    var qb: array<${qType}, ${nl * rpi}>; var sb: array<f32, ${nl * rpi}>;
    ${gated ? `var ub: array<${qType}, ${nl * rpi}>; var tb: array<f32, ${nl * rpi}>;` : ''}
    for (var j = 0u; j < NL; j++) {
      for (var jr = 0u; jr < RPI; jr++) {
        let v = min(wg.x * FPW + g * RPI + jr, N - 1u) * KU + min(lane + (ib + j) * LPF, KU - 1u);
        qb[j * RPI + jr] = Q[v]; sb[j * RPI + jr] = S[v / UPB];${gated ? ' ub[j * RPI + jr] = Q2[v]; tb[j * RPI + jr] = S2[v / UPB];' : ''}
      }
    }
    for (var j = 0u; j < NL; j++) {
      let kk = lane + (ib + j) * LPF;
      if (kk < KU) {
        ${rowsOf((jr) => `let q${jr}v = qb[j * RPI + ${jr}u]; ${decode(`q${jr}v`, `w${jr}`)}`)}
        ${gated ? rowsOf((jr) => `let r${jr}v = ub[j * RPI + ${jr}u]; ${decode(`r${jr}v`, `u${jr}`)}`) : ''}
        for (var m = 0u; m < MB; m++) {
          if (m < M) {
            let xb = m * (K / 4u) + kk * ${2 * u}u; ${xLoads}
            ${rowsOf(perRow)}
          }
        }
      }
    }
  }
  // The LPF partial sums of a row, added in lane order whatever M is.
  ${gemvEpilogueWgsl('let i = lid / FPW; let ff = lid % FPW; let m = m0 + i; let nn = wg.x * FPW + ff; let gg = ff / RPI; let rj = ff % RPI;', store, reduce, loraAddOf, gated)}
}`;
}
