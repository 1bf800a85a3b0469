/**
 * WGSL shared by the tensor-core fused attention kernels (flash-attention-*-sm-wgsl.ts): every
 * product (q·kᵀ, dO·vᵀ, P·v, dS·k, Pᵀ·dO, dSᵀ·q) runs on Chromium's subgroup matrices (16×16×16,
 * f16 × f16 → f32), with its operands rounded to f16 as they are staged into workgroup memory
 * and the softmax, its statistics and every sum in f32: the error model of
 * attention-gemm-tolerance.ts. Masks, causal block skipping and the statistics are the portable
 * kernels' (flash-attention-wgsl.ts).
 *
 * FLASH_SM_SUBGROUPS subgroups of 32 invocations per workgroup. Each product's 16×16 tiles and
 * each kernel's accumulators are dealt out among them, and all invocations stage operands and walk
 * rows. With one subgroup per workgroup (the first version) a workgroup's single warp waited on
 * every load by itself: the seed-shape forward ran at ~1 TFLOP/s on an H200. Tint's uniformity
 * analysis wants subgroup-matrix offsets workgroup-uniform; a subgroup's offsets here depend on
 * its index (uniform within the subgroup, which is what the hardware needs), so the header turns
 * that diagnostic off, as ONNX Runtime's and llama.cpp's WebGPU kernels do. The subgroup index is
 * local_invocation_index / 32: NVIDIA's subgroups are 32 consecutive invocations, and the
 * start-up self-test (flash-attention-select.ts) checks the kernels on the device before use.
 * Accumulators stay in registers for a kernel's whole pass; a result matrix's layout across
 * invocations is opaque, so anything done per row (scale, bounds) happens after a store to
 * workgroup memory.
 */
import type { FlashShape } from './flash-attention-shape.js';
import { flashHeader, type Binding } from './flash-attention-wgsl.js';

/** Subgroups per workgroup, and invocations (32 per subgroup). */
export const FLASH_SM_SUBGROUPS = 4;
export const FLASH_SM_THREADS = 32 * FLASH_SM_SUBGROUPS;
const G = FLASH_SM_SUBGROUPS;

/** The header: f16 and subgroup matrices, the matrix aliases, then flashHeader's constants and bindings. */
export const flashSmHeader = (s: FlashShape, bindings: readonly Binding[]): string => `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
${flashHeader(s, bindings, FLASH_SM_THREADS)}
const D4 = D / 4u;`;

/**
 * Tile counts (16×16 matrices) of a kernel's rows (ni), keys (nj) and head dimension (dn), its
 * per-row loop, and its loop over the cells of a br × bc block: cell e is row r = e mod br, key
 * c = ⌊e / br⌋, at e in the column-major score arrays, so consecutive invocations touch
 * consecutive words and every invocation has work (a loop per row left most of them idle).
 */
export function smTiling(s: FlashShape, br: number, bc: number) {
  const rows = `for (var r = lid; r < ${br}u; r += ${FLASH_SM_THREADS}u)`;
  const cells = `for (var e = lid; e < ${br * bc}u; e += ${FLASH_SM_THREADS}u) {
      let r = e % ${br}u; let c = e / ${br}u;`;
  return { ni: br / 16, nj: bc / 16, dn: s.d / 16, rows, cells };
}

/** The compute entry point's signature and opening brace; `sg` is the invocation's subgroup, `lane` its place in it. */
export const SM_MAIN = `@compute @workgroup_size(${FLASH_SM_THREADS}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let sg = lid / 32u; let lane = lid % 32u;`;

/**
 * How `rows` × `cols` tiles of accumulators are dealt out: subgroup g owns rows
 * (g mod gi)·rows/gi … and columns ⌊g / gi⌋·cols/gd …, a block of `perRow` × `perCol` tiles.
 * Rows are split first (a left operand loaded once feeds a whole row of columns). Undefined when
 * the tiles do not split evenly into FLASH_SM_SUBGROUPS blocks.
 */
export function accSplit(rows: number, cols: number) {
  for (let gi = Math.min(G, rows); gi >= 1; gi--) {
    const gd = G / gi;
    if (G % gi === 0 && rows % gi === 0 && cols % gd === 0) return { gi, gd, perRow: rows / gi, perCol: cols / gd };
  }
  return undefined;
}

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
  // Tiles are dealt round-robin: subgroup g takes g, g + G, …; a last round may leave some idle.
  const rounds: string[] = [];
  for (let q = 0; q * G < ni * nj; q++) {
    const guard = (q + 1) * G > ni * nj ? `if (tile < ${ni * nj}u) ` : '';
    rounds.push(`{
    let tile = ${q * G}u + sg; let ti = tile / ${nj}u; let tj = tile % ${nj}u;
    ${guard}{
      var acc = Acc();
      for (var k = z0; k < D; k += 16u) {
        let x = subgroupMatrixLoad<L>(&${a}, ti * 16u * D + k, false, D);
        let y = subgroupMatrixLoad<R>(&${b}, tj * 16u * D + k, true, D);
        acc = subgroupMatrixMultiplyAccumulate(x, y, acc);
      }
      subgroupMatrixStore(&${out}, tj * ${16 * 16 * ni}u + ti * 16u, acc, true, ${16 * ni}u);
    }
  }`);
  }
  return rounds.join('\n  ');
}

/** A kernel's split of ni × dn accumulator tiles (accSplit), or a clear error at code generation. */
function split(name: string, ni: number, dn: number) {
  const sp = accSplit(ni, dn);
  if (!sp) throw new Error(`flash attention: ${ni}×${dn} ${name} tiles do not split among ${G} subgroups`);
  return sp;
}

/** This subgroup's accumulator names `name{a}_{b}`: row tile `nameI + a`, column tile `nameD + b`. */
const accNames = (name: string, ni: number, dn: number): string[][] => {
  const { perRow, perCol } = split(name, ni, dn);
  return Array.from({ length: perRow }, (_, a) => Array.from({ length: perCol }, (_, b) => `${name}${a}_${b}`));
};

/** Declares this subgroup's zeroed accumulators of `accumulate` and its first row and column tile. */
export function declareAccs(name: string, ni: number, dn: number): string {
  const { gi, perRow, perCol } = split(name, ni, dn);
  const vars = accNames(name, ni, dn)
    .flat()
    .map((n) => `var ${n} = Acc();`)
    .join(' ');
  return `let ${name}I = (sg % ${gi}u) * ${perRow}u; let ${name}D = (sg / ${gi}u) * ${perCol}u;
  ${vars}`;
}

/**
 * This subgroup's accumulators `name{a}_{b}` (declareAccs) += Σ over `inner` of left · right, where
 * right is a staged f16 array of rows of D halves (row x at x·D: v, k, dO or q) and left
 * [16·ni × inner] is read from `left`, stored in productABt's column-major layout: with stride
 * 16·ni, (r, x) at x·16ni + r (P, dS as the forward and dq kernels write them), or, `transposed`,
 * from such an array of the transpose, (r, x) at r·inner + x (Pᵀ, dSᵀ in the dk/dv kernel, whose
 * arrays are [queries × keys]).
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
  const row = (a: number) => `(${name}I + ${a}u) * 16u`;
  const loadLeft = (a: number) =>
    transposed
      ? `subgroupMatrixLoad<L>(&${left}, ${row(a)} * ${inner}u + kk, false, ${inner}u)`
      : `subgroupMatrixLoad<L>(&${left}, kk * ${16 * ni}u + ${row(a)}, true, ${16 * ni}u)`;
  return `for (var kk = z0; kk < ${inner}u; kk += 16u) {
    ${names.map((_, a) => `let a${a} = ${loadLeft(a)};`).join('\n    ')}
    ${names[0]!
      .map((_, b) => {
        const mma = names.map((r, a) => `${r[b]} = subgroupMatrixMultiplyAccumulate(a${a}, r, ${r[b]});`);
        const col = `(${name}D + ${b}u) * 16u`;
        return `{ let r = subgroupMatrixLoad<R>(&${right}, kk * D + ${col}, false, D);\n      ${mma.join(' ')} }`;
      })
      .join('\n    ')}
  }`;
}

/**
 * Writes the accumulators to f32 storage `dst` (row x at `base + x·D`, rows from `first`, only
 * those below `limit`), each times `factor`, through the workgroup array `scratch`: each subgroup
 * has its own 16×16 slot in it (flashSmTiles keeps scratch arrays at least 256·G words).
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
    .flatMap((r, a) =>
      r.map(
        (acc, b) => `subgroupMatrixStore(&${scratch}, sg * 256u, ${acc}, false, 16u);
  workgroupBarrier();
  for (var e = lane; e < 256u; e += 32u) {
    let x = ${first} + (${name}I + ${a}u) * 16u + e / 16u;
    if (x < ${limit}) { ${dst}[${base} + x * D + (${name}D + ${b}u) * 16u + e % 16u] = ${scratch}[sg * 256u + e]${factor}; }
  }
  workgroupBarrier();`,
      ),
    )
    .join('\n  ');
}
