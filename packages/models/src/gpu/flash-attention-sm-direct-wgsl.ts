import { packedRows, type FlashShape } from './flash-attention-shape.js';
import { firstVisibleCode } from './flash-attention-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

/**
 * WGSL shared by the direct tensor-core attention kernels (flash-attention-*-sm-direct-wgsl.ts):
 * one subgroup per workgroup, packed f16 operands bound as 16-row tiles, and every
 * subgroup-matrix offset a WGSL constant (flash-attention-forward-sm-direct-wgsl.ts says why).
 */

/** Rows (query rows, or keys in the dk/dv kernel's strips) per workgroup by default: one per invocation of its one subgroup. */
export const FLASH_DIRECT_ROWS = 32;

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

/**
 * The subgroup-matrix load of 16×16 tile `n` (head-dimension columns 16n … 16n + 15) of the 16-row
 * group `group` of a packed operand (`f16-tiles`, tile-major: packFlashOperand): 256 contiguous
 * halves at a constant offset, read transposed when `colMajor`.
 */
export const tileLoad = (kind: 'L' | 'R', operand: string, group: string, n: number, colMajor = false): string =>
  smLoad(kind, `${operand}[${group}]`, `${256 * n}u`, colMajor, '16u');

/** f16, subgroup matrices and the matrix aliases. */
export const directHeader = `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
alias L = subgroup_matrix_left<f16, 16, 16>;
alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;`;

export interface DirectProduct {
  /** Workgroup array the product is stored into. */
  readonly into: string;
  /** Tiles of the product: rows × cols, summed over `inner` 16-wide steps (unrolled). */
  readonly rows: number;
  readonly cols: number;
  readonly inner: number;
  /** Loads of left tile i and right tile j at inner step k. */
  readonly left: (i: number, k: number) => string;
  readonly right: (j: number, k: number) => string;
  /** Where tile (i, j) is stored in `into` (constants: no bounds predicate). */
  readonly store: (i: number, j: number) => { offset: number; colMajor: boolean; stride: number };
}

/**
 * A block of `rows × cols` 16×16 products summed over `inner` steps, then stored into workgroup
 * memory; each left tile is loaded once per step and feeds a whole row of right tiles.
 */
export function directProduct(p: DirectProduct): string {
  const acc = (i: number, j: number) => `p${i}_${j}`;
  const tiles = range(p.rows).flatMap((i) => range(p.cols).map((j) => [i, j] as const));
  return `{
      ${tiles.map(([i, j]) => `var ${acc(i, j)} = Acc();`).join(' ')}
      ${range(p.inner)
        .map(
          (k) => `{
        ${range(p.rows)
          .map((i) => `let a${i} = ${p.left(i, k)};`)
          .join(' ')}
        ${range(p.cols)
          .map(
            (j) => `{ let b = ${p.right(j, k)};
          ${range(p.rows)
            .map((i) => `${acc(i, j)} = subgroupMatrixMultiplyAccumulate(a${i}, b, ${acc(i, j)});`)
            .join(' ')} }`,
          )
          .join('\n        ')}
      }`,
        )
        .join('\n      ')}
      ${tiles
        .map(([i, j]) => {
          const { offset, colMajor, stride } = p.store(i, j);
          return `${smStore(p.into, `${offset}u`, acc(i, j), colMajor, `${stride}u`)};`;
        })
        .join('\n      ')}
    }`;
}

/** Invocations a workgroup: one subgroup (NVIDIA's 32). */
export const FLASH_DIRECT_LANES = 32;
const LANES = FLASH_DIRECT_LANES;

/**
 * WGSL running `share(g)` on subgroup g of a workgroup of `groups` subgroups (NVIDIA's subgroups are 32
 * consecutive invocations), one branch of a switch each, so that each share's subgroup-matrix offsets stay
 * constants; a branch is uniform within its subgroup, which is what the hardware needs. One subgroup: the share itself.
 */
export const bySubgroup = (groups: number, share: (g: number) => string): string =>
  groups === 1
    ? share(0)
    : `switch (lid / ${LANES}u) {
      ${range(groups)
        .map((g) => `case ${g}u: {\n      ${share(g)}\n      }`)
        .join('\n      ')}
      default: {}
    }`;

/** Tiles of 16 rows in a workgroup's `rows` (16 or 32). */
export const rowTiles = (rows: number): number => {
  if (rows !== 16 && rows !== 32) throw new Error(`flash attention (direct): ${rows} rows a workgroup, not 16 or 32`);
  return rows / 16;
};

/**
 * The strip of a workgroup's `rows` query rows (32 by default) against the key block c0 … c0 + 16·nj − 1:
 * rows of `a` (q or dO, tiles from `qTile`) times rows of `b` (k or v, tiles from `kvTile`) transposed,
 * over the head dimension, stored column-major into `into` ((row, key) at key·rows + row: an invocation
 * walks its row over consecutive-bank words). `rowTile`: only that 16-row tile's part (a subgroup's share).
 */
export const rowStrip = (
  into: string,
  a: string,
  b: string,
  nj: number,
  dn: number,
  rows = FLASH_DIRECT_ROWS,
  rowTile?: number,
): string => {
  const first = rowTile ?? 0;
  return directProduct({
    into,
    rows: rowTile === undefined ? rowTiles(rows) : 1,
    cols: nj,
    inner: dn,
    left: (i, k) => tileLoad('L', a, `qTile + ${first + i}u`, k),
    right: (j, k) => tileLoad('R', b, `kvTile + c0 / 16u + ${j}u`, k, true),
    store: (i, j) => ({ offset: j * 16 * rows + (first + i) * 16, colMajor: true, stride: rows }),
  });
};

/** The accumulators `acc{n}_{i}` (head tile n, row tile i) of accumulateRows. */
export const rowAccs = (acc: string, dn: number, rows = FLASH_DIRECT_ROWS): string[] =>
  range(dn).flatMap((n) => range(rowTiles(rows)).map((i) => `${acc}${n}_${i}`));

/**
 * `acc{n}_{i}` += strip · `operand`: the f16 strip [rows × 16·nj keys] (rowStrip's layout) times
 * the key block's rows of `operand` (v or k), one 16-key step at a time; n counts `dn` head tiles
 * from `firstTile`.
 */
export const accumulateRows = (
  acc: string,
  strip: string,
  operand: string,
  nj: number,
  dn: number,
  rows = FLASH_DIRECT_ROWS,
  firstTile = 0,
): string =>
  range(nj)
    .map(
      (kk) => `{
      ${range(rowTiles(rows))
        .map((i) => `let a${i} = ${smLoad('L', strip, `${kk * 16 * rows + 16 * i}u`, true, `${rows}u`)};`)
        .join('\n      ')}
      ${range(dn)
        .map(
          (n) => `{ let b = ${tileLoad('R', operand, `kvTile + c0 / 16u + ${kk}u`, firstTile + n)};
        ${range(rowTiles(rows))
          .map((i) => `${acc}${n}_${i} = subgroupMatrixMultiplyAccumulate(a${i}, b, ${acc}${n}_${i});`)
          .join(' ')} }`,
        )
        .join('\n      ')}
    }`,
    )
    .join('\n    ');

/**
 * Writes `acc{n}_{i}` to the f32 rows r0 + … of `dst` (at `oBase`, row stride D) that are below T,
 * each value times `factor`, through the f32 workgroup array Ss. With `groups` subgroups each holds
 * `dn` head tiles (subgroup g: tiles g·dn …, as accumulateRows' firstTile) and writes them through its own
 * 256 words of Ss (Ss holds at least 256·groups).
 */
export const storeRows = (
  acc: string,
  dst: string,
  dn: number,
  factor = '',
  rows = FLASH_DIRECT_ROWS,
  groups = 1,
): string =>
  range(dn)
    .flatMap((n) => range(rowTiles(rows)).map((i) => [n, i] as const))
    .map(
      ([n, i]) => `${bySubgroup(groups, (g) => `${smStore('Ss', `${256 * g}u`, `${acc}${n}_${i}`, false, '16u')};`)}
    workgroupBarrier();
    for (var e = lid; e < ${256 * groups}u; e += ${LANES * groups}u) {
      let x = r0 + ${16 * i}u + (e % 256u) / 16u;
      if (x < T) { ${dst}[oBase + x * D + (e / 256u) * ${16 * dn}u + ${16 * n}u + e % 16u] = Ss[e]${factor}; }
    }
    workgroupBarrier();`,
    )
    .join('\n    ');

/**
 * The module-scope constants and entry point of a kernel over `rows` query rows (32 by default) of one
 * (batch, head) (forward, dq), after its workgroup `arrays`: the packed row counts TP and SP, then bh, b, h,
 * r0, the first query tile `qTile` and the head's first key tile `kvTile` of the packed operands, oBase
 * (the rows of the f32 o or dq), firstVis, the invocation's `row` (lid mod rows: with 16 rows two
 * invocations share each row, and more with `threads` > 32) and that row's t (clamped to T − 1).
 */
export const rowKernelMain = (
  s: FlashShape,
  arrays: string,
  rows = FLASH_DIRECT_ROWS,
  threads = LANES,
): string => `const TP = ${packedRows(s.t)}u; const SP = ${packedRows(s.s)}u;
${arrays}
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bh = wg.y; let b = bh / H; let h = bh % H;
  let r0 = wg.x * ${rowTiles(rows) * 16}u;
  let qTile = (bh * TP + r0) / 16u; let kvTile = (b * HKV + h / REP) * SP / 16u; let oBase = bh * T * D;
  ${firstVisibleCode(s, threads)}
  let row = lid % ${rows}u;
  let t = min(r0 + row, T - 1u);`;
