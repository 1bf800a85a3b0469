/**
 * WGSL that converts an f32 matrix to f16 in the packed layout of gemm-layout.ts (tile-major: the
 * GEMMs' operands and the fused attention's), `rowsP × colsP` with zeros beyond `rows × cols`, two
 * halves per u32. Core WGSL only
 * (`pack2x16float`), so it runs on adapters without `shader-f16`.
 */
import { tileWord } from './gemm-layout.js';

export const PACK_WORKGROUP = 64;

/**
 * `rowsP` > 0 packs a batch instead (packBatchDispatch): workgroup id z is the matrix, read from
 * `rows × cols` f32 blocks back to back and written to `rowsP × colsP` packed blocks back to back.
 */
export function packWgsl(rows: number, cols: number, colsP: number, rowsP = 0): string {
  const words = colsP / 2;
  const [src, dst] = rowsP > 0 ? ['s0 + ', 'd0 + '] : ['', ''];
  // One matrix: its row count from S's length at run time (one pipeline for every row count); a batch: constants.
  const offsets =
    rowsP > 0
      ? ` let s0 = wg.z * ${rows * cols}u; let d0 = wg.z * ${rowsP * words}u; let rows = ${rows}u;`
      : ` let rows = arrayLength(&S) / ${cols}u;`;
  return `@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read_write> D: array<u32>;
@compute @workgroup_size(${PACK_WORKGROUP}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let r = wg.y; let w = wg.x * ${PACK_WORKGROUP}u + lid;${offsets}
  if (w >= ${words}u) { return; }
  let c = 2u * w;
  var v = vec2f(0.0, 0.0);
  if (r < rows) {
    if (c < ${cols}u) { v.x = S[${src}r * ${cols}u + c]; }
    if (c + 1u < ${cols}u) { v.y = S[${src}r * ${cols}u + c + 1u]; }
  }
  D[${dst}${tileWord('r', 'c', colsP)}] = pack2x16float(v);
}`;
}

/** Workgroups for packWgsl: one row per y, PACK_WORKGROUP words per x. */
export const packDispatch = (rowsP: number, colsP: number): [number, number] => [
  Math.ceil(colsP / 2 / PACK_WORKGROUP),
  rowsP,
];

/** Workgroups for a batch of `batch` matrices packed by packWgsl(…, rowsP): one matrix per z. */
export const packBatchDispatch = (rowsP: number, colsP: number, batch: number): [number, number, number] => [
  ...packDispatch(rowsP, colsP),
  batch,
];

/**
 * The inverse of packWgsl (tile-major): the `rows × cols` f32 matrix (exact: every f16 is an f32) of a packed
 * one. Core WGSL (`unpack2x16float`). Dispatched as packDispatch(rows, 2·words) covers every column.
 */
export function unpackWgsl(rows: number, cols: number, colsP: number): string {
  return `@group(0) @binding(0) var<storage, read> S: array<u32>;
@group(0) @binding(1) var<storage, read_write> D: array<f32>;
@compute @workgroup_size(${PACK_WORKGROUP}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let r = wg.y; let c = wg.x * ${PACK_WORKGROUP}u + lid;
  if (r >= ${rows}u || c >= ${cols}u) { return; }
  let v = unpack2x16float(S[${tileWord('r', 'c & ~1u', colsP)}]);
  D[r * ${cols}u + c] = select(v.x, v.y, (c & 1u) == 1u);
}`;
}

/** Workgroups for unpackWgsl: one row per y, PACK_WORKGROUP columns per x. */
export const unpackDispatch = (rows: number, cols: number): [number, number] => [
  Math.ceil(cols / PACK_WORKGROUP),
  rows,
];
