/**
 * WGSL shared by the three fused attention kernels: constants, bindings, the masked score and
 * which (query block, key block) pairs a kernel visits.
 *
 * Masking follows the tfjs op (nn/attention.ts) bit for bit where it matters: a masked score is
 * `dot·scale + MASK_MIN`, which rounds to MASK_MIN exactly, so a query that sees no key at all (a
 * left pad) gets the uniform average over every key, as in HF. Keys beyond S contribute nothing.
 * Causal blocks above the diagonal are skipped: their scores are MASK_MIN, whose exp against a
 * real row maximum is exactly 0, except in rows that see nothing; a block holding such a row
 * (with a padding mask, a prefix of the rows: those before the first visible key) visits all keys.
 */
import { MASK_MIN } from '../nn/attention-bias.js';
import { FLASH_THREADS, type FlashShape } from './flash-attention-shape.js';

/**
 * A storage binding: name, access, and how the kernel reads it: vec4<f32>, f32 (default) or, for
 * packed f16 operands, as 16-row groups of tiles (`f16-tiles`: array<array<f16, 16·d>>, see
 * flash-attention-forward-sm-direct-wgsl.ts for why).
 */
export type Binding = readonly [name: string, access: 'read' | 'read_write', type?: 'vec4' | 'f16-tiles'];
const element = (type: Binding[2], d: number) =>
  type === 'vec4' ? 'vec4<f32>' : type === 'f16-tiles' ? `array<f16, ${16 * d}>` : 'f32';

/** Constants and `@binding` declarations, in order, for a workgroup of `threads`. */
export function flashHeader(s: FlashShape, bindings: readonly Binding[], threads = FLASH_THREADS): string {
  const vars = bindings
    .map(([n, a, v], i) => `@group(0) @binding(${i}) var<storage, ${a}> ${n}: array<${element(v, s.d)}>;`)
    .join('\n');
  return `const T = ${s.t}u; const S = ${s.s}u; const D = ${s.d}u; const H = ${s.nh}u; const HKV = ${s.nkv}u;
const REP = ${s.nh / s.nkv}u; const OFFSET = ${s.s - s.t}u;
const SCALE: f32 = ${1 / Math.sqrt(s.d)};
const MASK_MIN: f32 = ${MASK_MIN};
${vars}
var<workgroup> fvPart: array<u32, ${threads}>;
var<workgroup> fvAll: array<u32, 4>; // 16 bytes: see workgroup-alignment.test.ts
fn score(dot: f32, b: u32, t: u32, j: u32) -> f32 {
  ${s.causal ? 'if (j > OFFSET + t) { return dot * SCALE + MASK_MIN; }' : ''}
  return dot * SCALE${{ none: '', keys: ' + Bias[b * S + j]', full: ' + Bias[(b * T + t) * S + j]' }[s.bias]};
}`;
}

/**
 * `z0`: 0 the compiler cannot see (dispatches are 2-D, so workgroup_id.z is 0). The long inner
 * loops start from it so that they are not fully unrolled: lavapipe's LLVM took ~60 s to compile
 * the fully unrolled forward at d = 16 (a first dispatch that looked like a hang).
 */
export const RUNTIME_ZERO = 'let z0 = wg.z;';

/** The bias binding when the shape has one. */
export const biasBinding = (s: FlashShape): Binding[] => (s.bias === 'none' ? [] : [['Bias', 'read']]);

/**
 * Statements defining `firstVis`: the first key of batch `b` a query can see (workgroup-uniform).
 * Only causal attention with a padding mask needs it; otherwise 0 (no row sees nothing, or a
 * row that does is handled by visiting every key anyway).
 */
export function firstVisibleCode(s: FlashShape, threads = FLASH_THREADS): string {
  if (!(s.causal && s.bias === 'keys')) return 'let firstVis = 0u;';
  return `var mine = S;
  for (var j = lid; j < S; j += ${threads}u) { if (Bias[b * S + j] > MASK_MIN * 0.5) { mine = j; break; } }
  fvPart[lid] = mine;
  workgroupBarrier();
  if (lid == 0u) {
    var m = S;
    for (var i = 0u; i < ${threads}u; i++) { m = min(m, fvPart[i]); }
    fvAll[0] = m;
  }
  let firstVis = workgroupUniformLoad(&fvAll[0]);`;
}

/** WGSL bool: whether query rows [r0, r0 + nr) and keys from k0 interact (see the file comment). */
export function visitsCode(s: FlashShape, r0: string, nr: string, k0: string): string {
  // A full bias may mask any prefix of a row: which rows see nothing is not known here.
  if (!s.causal || s.bias === 'full') return 'true';
  return `(${k0} <= OFFSET + min(${r0} + ${nr}, T) - 1u || OFFSET + ${r0} < firstVis)`;
}

/**
 * WGSL: `out[i·nj + jj] += Σ_x a(i)·b(jj)` over x = z0 … len − 1 (`x` is the loop variable the
 * operand expressions use), each step loading ni + nj operands from workgroup memory into registers
 * for ni·nj FMAs. `declare` starts a new zeroed `out` (explicitly: lavapipe kept a loop-scoped
 * array without initializer from the previous iteration).
 */
export function registerTile(
  out: string,
  ni: number,
  nj: number,
  x: string,
  len: string,
  a: (i: string) => string,
  b: (jj: string) => string,
  declare = true,
): string {
  return `${declare ? `var ${out} = array<f32, ${ni * nj}>();` : ''}
    for (var ${x} = z0; ${x} < ${len}; ${x}++) {
      var av: array<f32, ${ni}>;
      for (var i = 0u; i < ${ni}u; i++) { av[i] = ${a('i')}; }
      for (var jj = 0u; jj < ${nj}u; jj++) {
        let bv = ${b('jj')};
        for (var i = 0u; i < ${ni}u; i++) { ${out}[i * ${nj}u + jj] = fma(av[i], bv, ${out}[i * ${nj}u + jj]); }
      }
    }`;
}
