/**
 * WGSL shared by the tensor-core fused attention kernels (flash-attention-*-sm-wgsl.ts): every
 * product (q·kᵀ, dO·vᵀ, P·v, dS·k, Pᵀ·dO, dSᵀ·q) runs on Chromium's subgroup matrices (16×16×16,
 * f16 × f16 → f32), with its operands rounded to f16 as they are staged into workgroup memory
 * and the softmax, its statistics and every sum in f32: the error model of
 * attention-gemm-tolerance.ts. Masks, causal block skipping and the statistics are the portable
 * kernels' (flash-attention-wgsl.ts).
 *
 * One subgroup (32 invocations) per workgroup, as in gemm-subgroup-matrix-wgsl.ts: Tint wants
 * subgroup-matrix offsets workgroup-uniform, so subgroups of one workgroup could not address
 * different tiles. Accumulators stay in registers for a kernel's whole pass; a result matrix's
 * layout across invocations is opaque, so anything done per row (scale, bounds) happens after a
 * store to workgroup memory.
 */
import type { FlashShape } from './flash-attention-shape.js';
import { flashHeader, type Binding } from './flash-attention-wgsl.js';

export const FLASH_SM_THREADS = 32;

/** The header: f16 and subgroup matrices, the matrix aliases, then flashHeader's constants and bindings. */
export const flashSmHeader = (s: FlashShape, bindings: readonly Binding[]): string => `enable f16;
enable chromium_experimental_subgroup_matrix;
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
${flashHeader(s, bindings, FLASH_SM_THREADS)}
const D4 = D / 4u;`;

/** Tile counts (16×16 matrices) of a kernel's rows (ni), keys (nj) and head dimension (dn), and its per-row loop. */
export function smTiling(s: FlashShape, br: number, bc: number) {
  const rows = `for (var r = lid; r < ${br}u; r += ${FLASH_SM_THREADS}u)`;
  return { ni: br / 16, nj: bc / 16, dn: s.d / 16, rows };
}

/** The compute entry point's signature (one subgroup). */
export const SM_MAIN = `@compute @workgroup_size(${FLASH_SM_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32)`;

/**
 * Copies `rows` rows of D floats from the vec4<f32> storage `src` (row j at f32 offset
 * `base + j·D`, rows from `first`) into the f16 workgroup array `dst`, row-major; rows at or past
 * `limit` become zeros. A vec4 per load: staging is most of what the invocations themselves do
 * (the products run on the tensor cores), and D is a multiple of 16.
 */
export const stageF16 = (dst: string, src: string, rows: number, base: string, first: string, limit: string) =>
  `for (var e = lid; e < ${rows}u * D4; e += ${FLASH_SM_THREADS}u) {
    let j = ${first} + e / D4;
    let x = select(vec4<f32>(0.0), ${src}[${base} / 4u + j * D4 + e % D4], j < ${limit});
    ${dst}[4u * e] = f16(x.x); ${dst}[4u * e + 1u] = f16(x.y);
    ${dst}[4u * e + 2u] = f16(x.z); ${dst}[4u * e + 3u] = f16(x.w);
  }`;

/**
 * `out` = a·bᵀ [16·ni rows × 16·nj columns] for two staged f16 arrays of rows of D halves (a's
 * rows are `out`'s rows, b's its columns: q·kᵀ, dO·vᵀ), stored column-major in f32 workgroup
 * memory: (r, c) at c·16ni + r. The kernels then walk a column with one invocation per row, so
 * the 32 invocations touch 32 consecutive words; row-major, a row's stride of 32 or 64 words put
 * them all in one bank of workgroup memory.
 */
export function productABt(out: string, a: string, b: string, ni: number, nj: number): string {
  const tiles: string[] = [];
  for (let i = 0; i < ni; i++) {
    for (let j = 0; j < nj; j++) {
      tiles.push(`{
    var acc = Acc();
    for (var k = z0; k < D; k += 16u) {
      let x = subgroupMatrixLoad<L>(&${a}, ${16 * i}u * D + k, false, D);
      let y = subgroupMatrixLoad<R>(&${b}, ${16 * j}u * D + k, true, D);
      acc = subgroupMatrixMultiplyAccumulate(x, y, acc);
    }
    subgroupMatrixStore(&${out}, ${16 * j * 16 * ni + 16 * i}u, acc, true, ${16 * ni}u);
  }`);
    }
  }
  return tiles.join('\n  ');
}

/** Accumulator names `name{i}_{d}` for `ni` row tiles × D / 16 column tiles. */
const accNames = (name: string, ni: number, dn: number): string[][] =>
  Array.from({ length: ni }, (_, i) => Array.from({ length: dn }, (_, d) => `${name}${i}_${d}`));

/** Declares the zeroed accumulators of `accumulate`. */
export const declareAccs = (name: string, ni: number, dn: number): string =>
  accNames(name, ni, dn)
    .flat()
    .map((n) => `var ${n} = Acc();`)
    .join(' ');

/**
 * `name{i}_{d}` += Σ over `inner` of left · right, where right is a staged f16 array of rows of D
 * halves (row x at x·D: v, k, dO or q) and left [16·ni × inner] is read from `left`, stored in
 * productABt's column-major layout: with `stride` 16·ni, (r, x) at x·16ni + r (P, dS as the
 * forward and dq kernels write them), or, `transposed`, from such an array of the transpose,
 * (r, x) at r·inner + x (Pᵀ, dSᵀ in the dk/dv kernel, whose arrays are [queries × keys]).
 */
export function accumulate(
  name: string,
  ni: number,
  dn: number,
  left: string,
  inner: number,
  right: string,
  transposed = false,
): string {
  const names = accNames(name, ni, dn);
  const loadLeft = (i: number) =>
    transposed
      ? `subgroupMatrixLoad<L>(&${left}, ${16 * i * inner}u + kk, false, ${inner}u)`
      : `subgroupMatrixLoad<L>(&${left}, kk * ${16 * ni}u + ${16 * i}u, true, ${16 * ni}u)`;
  return `for (var kk = z0; kk < ${inner}u; kk += 16u) {
    ${names.map((_, i) => `let a${i} = ${loadLeft(i)};`).join('\n    ')}
    ${Array.from({ length: dn }, (_, d) => {
      const mma = names.map((row, i) => `${row[d]} = subgroupMatrixMultiplyAccumulate(a${i}, r, ${row[d]});`);
      return `{ let r = subgroupMatrixLoad<R>(&${right}, kk * D + ${16 * d}u, false, D);\n      ${mma.join(' ')} }`;
    }).join('\n    ')}
  }`;
}

/**
 * Writes the accumulators to f32 storage `dst` (row x at `base + x·D`, rows from `first`, only
 * those below `limit`), each times `factor`, through the 16×16 workgroup scratch `scratch`.
 */
export function storeAccs(
  name: string,
  ni: number,
  dn: number,
  scratch: string,
  dst: string,
  base: string,
  first: string,
  limit: string,
  factor = '',
): string {
  return accNames(name, ni, dn)
    .flatMap((row, i) =>
      row.map(
        (acc, d) => `subgroupMatrixStore(&${scratch}, 0u, ${acc}, false, 16u);
  workgroupBarrier();
  for (var e = lid; e < 256u; e += ${FLASH_SM_THREADS}u) {
    let x = ${first} + ${16 * i}u + e / 16u;
    if (x < ${limit}) { ${dst}[${base} + x * D + ${16 * d}u + e % 16u] = ${scratch}[e]${factor}; }
  }
  workgroupBarrier();`,
      ),
    )
    .join('\n  ');
}
