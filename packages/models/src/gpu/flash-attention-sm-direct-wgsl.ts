/**
 * WGSL shared by the direct tensor-core attention kernels (flash-attention-*-sm-direct-wgsl.ts):
 * one subgroup per workgroup, packed f16 operands bound as 16-row tiles, and every
 * subgroup-matrix offset a WGSL constant (flash-attention-forward-sm-direct-wgsl.ts says why).
 */

/** Rows (query rows, or keys in the dk/dv kernel's strips) per workgroup: one per invocation of its one subgroup. */
export const FLASH_DIRECT_ROWS = 32;

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

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
          return `subgroupMatrixStore(&${p.into}, ${offset}u, ${acc(i, j)}, ${colMajor}, ${stride}u);`;
        })
        .join('\n      ')}
    }`;
}
