/**
 * The portable GEMM: core WGSL only (f16 pairs read as u32 and widened by `unpack2x16float`), so
 * it runs on any WebGPU adapter, lavapipe in CI included. f16 inputs, f32 accumulation. A 64×64
 * block per workgroup of 16×16 invocations, each 4×4 outputs strided by 16 (conflict-free reads
 * of workgroup memory); K staged 16 at a time.
 */
import { batchStrides, isBatched, packedDims, rowCount, tileWord, type GemmShape } from './gemm-layout.js';
import type { Dispatch } from './webgpu-internals.js';

export const PORTABLE_TILE = 64;
const BK = 16;

/** One u32 (two halves) per invocation and step: the storage word and where its halves go. */
function loadTile(name: 'A' | 'B', trans: boolean, ld: number, base: string, tileBase: string, off: string): string {
  const T = PORTABLE_TILE;
  const dst = name === 'A' ? 'As' : 'Bs';
  // "along" is the operand's M (A) or N (B) dimension; K runs along the stored rows when the
  // operand is A untransposed or B transposed, else along the stored columns.
  const kAlongColumns = name === 'A' ? !trans : trans;
  if (kAlongColumns) {
    // stored [T rows of the tile][K]: word w -> row w / 8, k pair 2 * (w % 8)
    return `for (var w = lid; w < ${(T * BK) / 2}u; w += 256u) {
      let r = w / ${BK / 2}u; let kq = 2u * (w % ${BK / 2}u);
      let v = unpack2x16float(${name}[${off}${tileWord(`${base} + r`, 'k0 + kq', ld)}]);
      ${dst}[kq * ${T}u + r] = v.x; ${dst}[(kq + 1u) * ${T}u + r] = v.y;
    }`;
  }
  // stored [K][...]: word w -> k row w / 32, column pair 2 * (w % 32) of the tile
  return `for (var w = lid; w < ${(T * BK) / 2}u; w += 256u) {
      let kq = w / ${T / 2}u; let c = 2u * (w % ${T / 2}u);
      let v = unpack2x16float(${name}[${off}${tileWord('k0 + kq', `${tileBase} + c`, ld)}]);
      ${dst}[kq * ${T}u + c] = v.x; ${dst}[kq * ${T}u + c + 1u] = v.y;
    }`;
}

export function portableGemmWgsl(s: GemmShape): string {
  const { lda, ldb, kp } = packedDims(s);
  const T = PORTABLE_TILE;
  // A batch's matrices lie back to back: offsets (in u32 words for A/B) from workgroup id z.
  const st = batchStrides(s);
  const [aOff, bOff, cOff] = isBatched(s) ? ['aOff + ', 'bOff + ', 'cOff + '] : ['', '', ''];
  const rows = rowCount(s);
  const offsets = isBatched(s)
    ? `let aOff = wg.z * ${st.a / 2}u; let bOff = wg.z * ${st.b / 2}u; let cOff = wg.z * ${st.c}u;`
    : rows.define;
  return `@group(0) @binding(0) var<storage, read> A: array<u32>;
@group(0) @binding(1) var<storage, read> B: array<u32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<f32, ${T * BK}>;
var<workgroup> Bs: array<f32, ${T * BK}>;
@compute @workgroup_size(16, 16) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_id) li: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wg.y * ${T}u; let col0 = wg.x * ${T}u;${offsets}
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < ${kp}u; k0 += ${BK}u) {
    ${loadTile('A', s.transA, lda, 'row0', 'row0', aOff)}
    ${loadTile('B', s.transB, ldb, 'col0', 'col0', bOff)}
    workgroupBarrier();
    for (var kk = 0u; kk < ${BK}u; kk++) {
      var a: array<f32, 4>; var b: array<f32, 4>;
      for (var i = 0u; i < 4u; i++) { a[i] = As[kk * ${T}u + li.y + 16u * i]; b[i] = Bs[kk * ${T}u + li.x + 16u * i]; }
      for (var i = 0u; i < 4u; i++) {
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = fma(a[i], b[j], acc[i * 4u + j]); }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + li.y + 16u * i;
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + li.x + 16u * j;
      if (r < ${rows.m} && c < ${s.n}u) { C[${cOff}r * ${s.n}u + c] = acc[i * 4u + j]; }
    }
  }
}`;
}

export const portableDispatch = (s: GemmShape): Dispatch => [
  Math.ceil(s.n / PORTABLE_TILE),
  Math.ceil(s.m / PORTABLE_TILE),
  s.batch ?? 1,
];
