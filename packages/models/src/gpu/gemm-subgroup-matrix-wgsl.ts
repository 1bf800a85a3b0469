/**
 * The tensor-core GEMM: Chromium's experimental subgroup matrices (16×16×16, f16 × f16 → f32).
 * Each subgroup owns a register tile of `tm × tn` 16×16 accumulators; a workgroup holds `sgm × sgn`
 * subgroups (default 1 × 1), which share the staged blocks. Tint's uniformity analysis wants
 * subgroupMatrixLoad/Store offsets workgroup-uniform; a subgroup's offsets depend on its index
 * (local_invocation_index / 32: NVIDIA's subgroups are 32 consecutive invocations), uniform within
 * the subgroup, which is what the hardware needs, so the diagnostic is off (as in ONNX Runtime's and
 * llama.cpp's WebGPU kernels); the start-up self-test checks the result.
 * - `direct`: operands are loaded from storage (L1/L2 serve the reuse), a 16×16 tile of the
 *   tile-major layout (gemm-layout.ts) at a time: the operands are bound as arrays of tiles, so each
 *   load has a tile index, which Dawn's robustness pass only clamps, and offset 0, which it does not
 *   wrap in a bounds test (as the direct attention kernels found, 2× on an H200). With `prefetch`
 *   the next K step's tiles are loaded before this step's multiplies (the other layouts' default);
 * - `staged`: each K slice (`bk`, default 32) is first copied into workgroup memory and kept tile-major there
 *   (loaded by tile index at offset 0 again). `copy: 'halves'` (the default): every invocation
 *   reads vec4<u32>s and writes their 8 halves one by one (subgroupMatrixLoad reads only arrays of
 *   the matrix's own component type, so the vec4 cannot be stored whole). `copy: 'matrices'`: each
 *   subgroup copies whole tiles, a subgroup-matrix load from storage (the direct kernel's fast path)
 *   and a store into workgroup memory; the next slice's tiles are loaded into registers before this
 *   slice's multiplies, so their latency overlaps the MMAs. It lets a subgroup hold few accumulators
 *   while the block, shared by many subgroups, stays large. With 4×4 tiles on 2×2 subgroups it is the
 *   fastest kernel for the forward layout A·Bᵀ on an H200 and its default there
 *   (defaultSubgroupMatrixTiling; bench/results/2026-11-29-gemm-ramp-h200.md).
 * Transposed operands are read with colMajor loads, never copied. Edge tiles (M or N not a
 * multiple of 16) are stored through a 16×16 workgroup scratch and written with bounds checks.
 * A batch (GemmShape.batch) is workgroup id z: each operand's matrices lie back to back, and the
 * per-matrix offsets stay workgroup-uniform, as the loads and stores require.
 */
import { batchStrides, isBatched, packedDims, rowCount, tileOf, type GemmShape } from './gemm-layout.js';
import type { Dispatch } from './webgpu-internals.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

export interface SubgroupMatrixTiling {
  readonly tm: number;
  readonly tn: number;
  readonly staged: boolean;
  /** K of a staged slice (default 32): a larger slice puts more multiplies between two barriers. */
  readonly bk?: 32 | 64 | 128;
  /** How a staged slice reaches workgroup memory (default `halves`); see the file comment. */
  readonly copy?: 'halves' | 'matrices';
  /**
   * `matrices` copies only: two slices in workgroup memory, the next stored while this one is multiplied, so a
   * slice needs one barrier instead of two (default 1 buffer). Slower on an H200 (4096³: 105–154 against the one
   * buffer's 171–201 TFLOP/s; bench/results/2026-11-29-gemm-ramp-h200.md), so off.
   */
  readonly buffers?: 1 | 2;
  /**
   * Direct only: load the next K step's tiles into registers before this step's multiplies (their
   * latency overlaps the MMAs; tm + tn more matrices held).
   */
  readonly prefetch?: boolean;
  /**
   * Blocks in groups of this many block rows (Triton's GROUP_M): consecutive workgroups walk a group's rows
   * before its next column, so the operand blocks in flight at once stay fewer and more of them hit in L2. Absent:
   * row by row, as the grid lies.
   */
  readonly swizzle?: number;
  /** Subgroups per workgroup along M and N (default 1). */
  readonly sgm?: number;
  readonly sgn?: number;
}

/** Subgroups along M and N, and the workgroup's block rows and columns. */
export function blockOf(t: SubgroupMatrixTiling) {
  const sgm = t.sgm ?? 1,
    sgn = t.sgn ?? 1;
  return { sgm, sgn, threads: 32 * sgm * sgn, bm: 16 * t.tm * sgm, bn: 16 * t.tn * sgn };
}

/** The direct 4×4 register tile, which the defaults build on (defaultSubgroupMatrixTiling picks by layout). */
export const DEFAULT_SUBGROUP_MATRIX_TILING: SubgroupMatrixTiling = { tm: 4, tn: 4, staged: false };

/**
 * The tiling a product runs with unless one is given: by layout, the fastest measured on an H200 at
 * Qwen3-8B's linear shapes (M = 21,504) and at 4096³ (bench/results/2026-11-29-gemm-ramp-h200.md):
 * the forward y = x·Wᵀ staged by matrix copies on 2×2 subgroups (195–210 TFLOP/s against the
 * direct kernel's 152–171), the other layouts direct and prefetching (188–201 against 171–181).
 */
export function defaultSubgroupMatrixTiling(s: Pick<GemmShape, 'transA' | 'transB'>): SubgroupMatrixTiling {
  return s.transB && !s.transA
    ? { tm: 4, tn: 4, staged: true, copy: 'matrices', sgm: 2, sgn: 2 }
    : { ...DEFAULT_SUBGROUP_MATRIX_TILING, prefetch: true };
}
const bkOf = (t: SubgroupMatrixTiling): number => t.bk ?? 32;

/** Whether the operands are read as vec4<u32> (the halves copy) rather than as 16×16 tiles. */
const readsVectors = (t: SubgroupMatrixTiling): boolean => t.staged && (t.copy ?? 'halves') === 'halves';

const grid = (t: SubgroupMatrixTiling, f: (i: number, j: number) => string): string =>
  Array.from({ length: t.tm }, (_, i) => Array.from({ length: t.tn }, (_, j) => f(i, j)).join('\n  ')).join('\n  ');
const each = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('\n    ');

/**
 * Global loads of the tile-major operands (gemm-layout.ts): a tile index and offset 0, stride 16
 * (column-major for a transposed operand's tiles). `off` prefixes the matrix's first tile in a batch.
 */
function tileLeft(trans: boolean, ld: number, row: string, k: string, i: number, off = ''): string {
  const r = `${row} + ${16 * i}u`;
  return trans
    ? smLoad('L', `A[${off}${tileOf(k, r, ld)}]`, '0u', true, '16u')
    : smLoad('L', `A[${off}${tileOf(r, k, ld)}]`, '0u', false, '16u');
}
function tileRight(trans: boolean, ld: number, col: string, k: string, j: number, off = ''): string {
  const c = `${col} + ${16 * j}u`;
  return trans
    ? smLoad('R', `B[${off}${tileOf(c, k, ld)}]`, '0u', true, '16u')
    : smLoad('R', `B[${off}${tileOf(k, c, ld)}]`, '0u', false, '16u');
}

/** Prefixes of the batch offsets (aOff, bOff: tiles when direct, halves when staged; cOff in f32), or none for one product. */
const offsetPrefixes = (s: GemmShape) => (isBatched(s) ? ['aOff + ', 'bOff + ', 'cOff + '] : ['', '', '']);

/**
 * Copies one BK slice of a block into workgroup memory, tile-major there too: the slice's 16×16
 * tiles in their stored orientation (`rows` × `cols` halves, tiles row by row), each an
 * array<f16, 256>, so that every subgroup-matrix load picks a tile by index at offset 0 (as the
 * direct loads do: a computed offset into a flat workgroup array gets Dawn's bounds test around
 * every load, which held this kernel at 18–22 TFLOP/s on an H200). Whole tiles of the tile-major
 * operand, 32 vec4<u32> each, from tile (tr0, tc0) of a matrix whose stored rows are `ld` halves
 * wide; `off` is the matrix's first vec4 in a batch.
 */
function stage(
  src: string,
  dst: string,
  rows: number,
  cols: number,
  ld: number,
  tr0: string,
  tc0: string,
  off: string,
  threads: number,
) {
  return `for (var v = lid; v < ${(rows * cols) / 8}u; v += ${threads}u) {
      let t = v / 32u; let w = v % 32u;
      let tr = t / ${cols / 16}u; let tc = t % ${cols / 16}u;
      let q = ${src}[${off}((${tr0} + tr) * ${ld / 16}u + ${tc0} + tc) * 32u + w];
      for (var h = 0u; h < 4u; h++) {
        let p = bitcast<vec2<f16>>(q[h]);
        ${dst}[t][w * 8u + 2u * h] = p.x; ${dst}[t][w * 8u + 2u * h + 1u] = p.y;
      }
    }`;
}

/**
 * Loads of staged tiles (stage's layout): left tile i / right tile j of the subgroup at the K step
 * `kk` (0 or 1: the slice's two 16-wide steps, unrolled), column-major for a transposed operand.
 */
function stagedLeft(trans: boolean, bm: number, bk: number, row: string, kk: number, i: number, base = ''): string {
  const r = `(${row}) / 16u + ${i}u`;
  return trans
    ? smLoad('L', `As[${base}${kk * (bm / 16)}u + ${r}]`, '0u', true, '16u')
    : smLoad('L', `As[${base}(${r}) * ${bk / 16}u + ${kk}u]`, '0u', false, '16u');
}
function stagedRight(trans: boolean, bn: number, bk: number, col: string, kk: number, j: number, base = ''): string {
  const c = `(${col}) / 16u + ${j}u`;
  return trans
    ? smLoad('R', `Bs[${base}(${c}) * ${bk / 16}u + ${kk}u]`, '0u', true, '16u')
    : smLoad('R', `Bs[${base}${kk * (bn / 16)}u + ${c}]`, '0u', false, '16u');
}

/**
 * The i-th tile of one BK slice that subgroup `sg` copies (tiles `sg`, `sg + nsg`, …, in stage()'s
 * order: the slice's tiles row by row), as a global tile index of the operand, the slice starting
 * at K `k`. `r0`/`c0`: the block's first stored tile row and column at that K.
 */
function sliceTiles(nsg: number, cols: number, ld: number, r0: (k: string) => string, c0: (k: string) => string) {
  return (k: string, i: number): string => {
    const t = `(sg + ${i * nsg}u)`;
    return `(${r0(k)} + ${t} / ${cols / 16}u) * ${ld / 16}u + ${c0(k)} + ${t} % ${cols / 16}u`;
  };
}

/** One staged slice's multiplies, its 16-wide K steps unrolled, each subgroup's tiles loaded from workgroup memory. */
function stagedMultiplies(s: GemmShape, t: SubgroupMatrixTiling, BK: number, mma: string, bases = ['', '']): string {
  const { bm, bn } = blockOf(t);
  return each(
    BK / 16,
    (kk) => `{
    ${each(t.tm, (i) => `let a${i} = ${stagedLeft(s.transA, bm, BK, 'row0 - blockRow', kk, i, bases[0])};`)}
    ${each(t.tn, (j) => `let b${j} = ${stagedRight(s.transB, bn, BK, 'col0 - blockCol', kk, j, bases[1])};`)}
    ${mma}
    }`,
  );
}

/** The K loop of the `matrices` copy: store the slice held in registers, load the next, multiply this one. */
function matrixCopyLoop(
  s: GemmShape,
  t: SubgroupMatrixTiling,
  lda: number,
  ldb: number,
  kp: number,
  mma: string,
): string {
  const { bm, bn, sgm, sgn } = blockOf(t);
  const nsg = sgm * sgn,
    BK = bkOf(t);
  const [aRows, aCols] = s.transA ? [BK, bm] : [bm, BK];
  const [bRows, bCols] = s.transB ? [bn, BK] : [BK, bn];
  const [tilesA, tilesB] = [(aRows * aCols) / 256, (bRows * bCols) / 256];
  if (tilesA % nsg || tilesB % nsg) {
    throw new RangeError(
      `subgroup-matrix tiling ${t.tm}×${t.tn} on ${sgm}×${sgn} subgroups: a slice's ${tilesA} + ${tilesB} tiles do not split evenly over the subgroups`,
    );
  }
  const [perA, perB] = [tilesA / nsg, tilesB / nsg];
  const [aOff, bOff] = offsetPrefixes(s);
  const kt = (k: string) => `(${k}) / 16u`;
  const [ar0, ac0] = s.transA ? [kt, () => 'blockRow / 16u'] : [() => 'blockRow / 16u', kt];
  const [br0, bc0] = s.transB ? [() => 'blockCol / 16u', kt] : [kt, () => 'blockCol / 16u'];
  const tileA = sliceTiles(nsg, aCols, lda, ar0, ac0);
  const tileB = sliceTiles(nsg, bCols, ldb, br0, bc0);
  // A copy is a raw move of 256 halves: loaded and stored row-major, its matrix role does not matter.
  const load = (k: string) =>
    [
      ...Array.from(
        { length: perA },
        (_, i) => `pa${i} = ${smLoad('L', `A[${aOff}${tileA(k, i)}]`, '0u', false, '16u')};`,
      ),
      ...Array.from(
        { length: perB },
        (_, j) => `pb${j} = ${smLoad('L', `B[${bOff}${tileB(k, j)}]`, '0u', false, '16u')};`,
      ),
    ].join('\n    ');
  const store = (a = '', b = '') =>
    [
      ...Array.from(
        { length: perA },
        (_, i) => `${smStore(`As[${a}sg + ${i * nsg}u]`, '0u', `pa${i}`, false, '16u')};`,
      ),
      ...Array.from(
        { length: perB },
        (_, j) => `${smStore(`Bs[${b}sg + ${j * nsg}u]`, '0u', `pb${j}`, false, '16u')};`,
      ),
    ].join('\n    ');
  if ((t.buffers ?? 1) === 2) {
    // Slice i is multiplied from buffer i % 2 while slice i + 1 goes into the other; that one was last read in
    // slice i − 1, before the barrier that ends it. So one barrier a slice.
    const [nxtA, nxtB] = [`nxt * ${tilesA}u + `, `nxt * ${tilesB}u + `];
    return `${each(perA, (i) => `var pa${i}: L;`)}
  ${each(perB, (j) => `var pb${j}: L;`)}
  ${load('0u')}
  ${store()}
  workgroupBarrier();
  if (${BK}u < ${kp}u) {
    ${load(`${BK}u`)}
  }
  for (var k0 = 0u; k0 < ${kp}u; k0 += ${BK}u) {
    let cur = (k0 / ${BK}u) % 2u; let nxt = 1u - cur;
    ${stagedMultiplies(s, t, BK, mma, [`cur * ${tilesA}u + `, `cur * ${tilesB}u + `])}
    if (k0 + ${BK}u < ${kp}u) {
    ${store(nxtA, nxtB)}
    if (k0 + ${2 * BK}u < ${kp}u) {
    ${load(`k0 + ${2 * BK}u`)}
    }
    }
    workgroupBarrier();
  }`;
  }
  return `${each(perA, (i) => `var pa${i}: L;`)}
  ${each(perB, (j) => `var pb${j}: L;`)}
  ${load('0u')}
  for (var k0 = 0u; k0 < ${kp}u; k0 += ${BK}u) {
    ${store()}
    workgroupBarrier();
    if (k0 + ${BK}u < ${kp}u) {
    ${load(`k0 + ${BK}u`)}
    }
    ${stagedMultiplies(s, t, BK, mma)}
    workgroupBarrier();
  }`;
}

function mainLoop(s: GemmShape, t: SubgroupMatrixTiling, lda: number, ldb: number, kp: number): string {
  const mma = grid(t, (i, j) => `c${i}_${j} = subgroupMatrixMultiplyAccumulate(a${i}, b${j}, c${i}_${j});`);
  const [aOff, bOff] = offsetPrefixes(s);
  if (!t.staged && t.prefetch) {
    // The last step reloads its own tiles (kn stays in range), which is cheaper than a branch.
    const loads = (k: string, decl: string, p: string) =>
      [
        ...Array.from({ length: t.tm }, (_, i) => `${decl}${p}a${i} = ${tileLeft(s.transA, lda, 'row0', k, i, aOff)};`),
        ...Array.from(
          { length: t.tn },
          (_, j) => `${decl}${p}b${j} = ${tileRight(s.transB, ldb, 'col0', k, j, bOff)};`,
        ),
      ].join('\n    ');
    return `${loads('0u', 'var ', '')}
  for (var k = 0u; k < ${kp}u; k += 16u) {
    let kn = min(k + 16u, ${kp - 16}u);
    ${loads('kn', 'let ', 'n')}
    ${mma}
    ${each(t.tm, (i) => `a${i} = na${i};`)}
    ${each(t.tn, (j) => `b${j} = nb${j};`)}
  }`;
  }
  if (!t.staged) {
    return `for (var k = 0u; k < ${kp}u; k += 16u) {
    ${each(t.tm, (i) => `let a${i} = ${tileLeft(s.transA, lda, 'row0', 'k', i, aOff)};`)}
    ${each(t.tn, (j) => `let b${j} = ${tileRight(s.transB, ldb, 'col0', 'k', j, bOff)};`)}
    ${mma}
  }`;
  }
  if (!readsVectors(t)) return matrixCopyLoop(s, t, lda, ldb, kp, mma);
  const { bm, bn, threads } = blockOf(t);
  const BK = bkOf(t);
  // Staged blocks keep the stored orientation: [bm][BK] or [BK][bm] for A, likewise for B.
  const [aRows, aCols] = s.transA ? [BK, bm] : [bm, BK];
  const [bRows, bCols] = s.transB ? [bn, BK] : [BK, bn];
  // Tile coordinates of the block's slice; batch offsets are whole padded matrices (in halves, / 8: vec4s).
  const [aTr, aTc] = s.transA ? ['k0 / 16u', 'blockRow / 16u'] : ['blockRow / 16u', 'k0 / 16u'];
  const [bTr, bTc] = s.transB ? ['blockCol / 16u', 'k0 / 16u'] : ['k0 / 16u', 'blockCol / 16u'];
  const [aV, bV] = [aOff ? 'aOff / 8u + ' : '', bOff ? 'bOff / 8u + ' : ''];
  return `for (var k0 = 0u; k0 < ${kp}u; k0 += ${BK}u) {
    ${stage('A', 'As', aRows, aCols, lda, aTr, aTc, aV, threads)}
    ${stage('B', 'Bs', bRows, bCols, ldb, bTr, bTc, bV, threads)}
    workgroupBarrier();
    ${stagedMultiplies(s, t, BK, mma)}
    workgroupBarrier();
  }`;
}

/**
 * blockRow and blockCol of this workgroup's block: the grid's (x, y), or with `swizzle` G the workgroup's linear
 * index walked down groups of G block rows (the last group may hold fewer), column by column.
 */
function blockOrigin(t: SubgroupMatrixTiling, bm: number, bn: number): string {
  if (!t.swizzle) return `let blockRow = wg.y * ${bm}u; let blockCol = wg.x * ${bn}u;`;
  const g = t.swizzle;
  return `let id = wg.y * nwg.x + wg.x; let first = id / (${g}u * nwg.x) * ${g}u;
  let rowsIn = min(nwg.y - first, ${g}u); let local = id % (${g}u * nwg.x);
  let blockRow = (first + local % rowsIn) * ${bm}u; let blockCol = local / rowsIn * ${bn}u;`;
}

export function subgroupMatrixGemmWgsl(s: GemmShape, t: SubgroupMatrixTiling = defaultSubgroupMatrixTiling(s)): string {
  const { sgm, sgn, threads, bm, bn } = blockOf(t);
  if (![1, 2, 4, 8].includes(t.tm * sgm) || ![1, 2, 4, 8].includes(t.tn * sgn)) {
    // Blocks must divide PACK_ALIGN (128) so that loads never leave the padded operands.
    throw new RangeError(`subgroup-matrix tiling ${t.tm}×${t.tn} on ${sgm}×${sgn} subgroups: blocks must divide 128`);
  }
  if ((t.buffers ?? 1) !== 1 && !(t.staged && t.copy === 'matrices'))
    throw new RangeError('subgroup-matrix tiling: two buffers need staging by matrix copies');
  const { lda, ldb, kp } = packedDims(s);
  const st = batchStrides(s);
  const cOff = offsetPrefixes(s)[2];
  const rows = rowCount(s);
  const offsets = isBatched(s)
    ? `\n  let aOff = wg.z * ${readsVectors(t) ? st.a : st.a / 256}u; let bOff = wg.z * ${readsVectors(t) ? st.b : st.b / 256}u; let cOff = wg.z * ${st.c}u;`
    : rows.define && `\n  ${rows.define}`;
  const operand = readsVectors(t) ? 'vec4<u32>' : 'array<f16, 256>';
  const nbuf = t.staged && t.copy === 'matrices' ? (t.buffers ?? 1) : 1;
  const staged = t.staged
    ? `var<workgroup> As: array<array<f16, 256>, ${(nbuf * bm * bkOf(t)) / 256}>;\nvar<workgroup> Bs: array<array<f16, 256>, ${(nbuf * bn * bkOf(t)) / 256}>;`
    : '';
  const tile = (i: number, j: number) => [`row0 + ${16 * i}u`, `col0 + ${16 * j}u`] as const;
  const direct = grid(t, (i, j) => {
    const [r, c] = tile(i, j);
    return `${smStore('C', `${cOff}(${r}) * ${s.n}u + ${c}`, `c${i}_${j}`, false, `${s.n}u`)};`;
  });
  const edge = grid(t, (i, j) => {
    const [r, c] = tile(i, j);
    return `${smStore('edge', 'sg * 256u', `c${i}_${j}`, false, '16u')};
    workgroupBarrier();
    for (var e = lane; e < 256u; e += 32u) {
      let r = ${r} + e / 16u; let c = ${c} + e % 16u;
      if (r < ${rows.m} && c < ${s.n}u) { C[${cOff}r * ${s.n}u + c] = edge[sg * 256u + e]; }
    }
    workgroupBarrier();`;
  });
  return `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
@group(0) @binding(0) var<storage, read> A: array<${operand}>;
@group(0) @binding(1) var<storage, read> B: array<${operand}>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
var<workgroup> edge: array<f32, ${256 * sgm * sgn}>;
${staged}
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32${t.swizzle ? ', @builtin(num_workgroups) nwg: vec3u' : ''}) {
  let sg = lid / 32u; let lane = lid % 32u;
  ${blockOrigin(t, bm, bn)}
  let row0 = blockRow + (sg % ${sgm}u) * ${16 * t.tm}u; let col0 = blockCol + (sg / ${sgm}u) * ${16 * t.tn}u;${offsets}
  ${grid(t, (i, j) => `var c${i}_${j} = Acc();`)}
  ${mainLoop(s, t, lda, ldb, kp)}
  if (blockRow + ${bm}u <= ${rows.m} && blockCol + ${bn}u <= ${s.n}u) {
  ${direct}
  } else {
  ${edge}
  }
}`;
}

export const subgroupMatrixDispatch = (
  s: GemmShape,
  t: SubgroupMatrixTiling = defaultSubgroupMatrixTiling(s),
): Dispatch => {
  const { bm, bn } = blockOf(t);
  return [Math.ceil(s.n / bn), Math.ceil(s.m / bm), s.batch ?? 1];
};
