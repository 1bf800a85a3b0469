/**
 * The portable NF4 GEMM: core WGSL only, so it runs on any WebGPU adapter (lavapipe in CI).
 * C[M,N] = A[M,K] · op(W) with A packed f16 (gemm-layout.ts) and W an Nf4Matrix: `transB` W is
 * [N,K] (the forward y = x·Wᵀ), else [K,N] (the input gradient dx = dy·W). The block of W a
 * workgroup needs is dequantized element by element (code → table value × block scale, f32) while
 * it is staged into workgroup memory, so no f16 or f32 copy of W ever exists. Tiling as in
 * gemm-portable-wgsl.ts: 64×64 outputs per workgroup of 16×16 invocations, each 4×4 outputs
 * strided by 16, K staged 16 at a time, f32 accumulation.
 */
import { padTo, tileWord } from './gemm-layout.js';
import { nf4DecodeWgsl } from './nf4-wgsl.js';

/** C[M,N] = A[M,K] · (transB ? Wᵀ : W) with W an NF4 matrix of `blocksize`-element blocks. */
export interface Nf4GemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transB: boolean;
  readonly blocksize: number;
}

/** The stored dimensions of W for a shape. */
export const nf4WeightDims = (s: Nf4GemmShape): [rows: number, cols: number] => (s.transB ? [s.n, s.k] : [s.k, s.n]);

export const NF4_PORTABLE_TILE = 64;
const T = NF4_PORTABLE_TILE;
const BK = 16;

/** Dequantizes the [BK × T] block of op(W) at (k0, col0) into Bs (k-major), zeros outside W. */
function stageWeight(s: Nf4GemmShape): string {
  const [rows, cols] = nf4WeightDims(s);
  // Consecutive invocations take consecutive elements of a stored row (they share code words).
  const [r, c] = s.transB ? ['col0 + idx / 16u', 'k0 + idx % 16u'] : ['k0 + idx / 64u', 'col0 + idx % 64u'];
  const dst = s.transB ? '(idx % 16u) * 64u + idx / 16u' : 'idx';
  return `for (var idx = lid; idx < ${T * BK}u; idx += 256u) {
      let r = ${r}; let c = ${c};
      var v = 0.0;
      if (r < ${rows}u && c < ${cols}u) { v = nf4At(r * ${cols}u + c); }
      Bs[${dst}] = v;
    }`;
}

export function nf4PortableGemmWgsl(s: Nf4GemmShape): string {
  const lda = padTo(s.k),
    kp = padTo(s.k);
  return `@group(0) @binding(0) var<storage, read> A: array<u32>;
@group(0) @binding(1) var<storage, read> Q: array<u32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;
var<workgroup> As: array<f32, ${T * BK}>;
var<workgroup> Bs: array<f32, ${T * BK}>;
${nf4DecodeWgsl(s.blocksize)}
@compute @workgroup_size(16, 16) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_id) li: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row0 = wg.y * ${T}u; let col0 = wg.x * ${T}u;
  // M from C's length at run time: one pipeline for every row count (a generation's prompt length).
  let M = arrayLength(&C) / ${s.n}u;
  var acc: array<f32, 16>;
  for (var k0 = 0u; k0 < ${kp}u; k0 += ${BK}u) {
    for (var w = lid; w < ${(T * BK) / 2}u; w += 256u) {
      let r = w / ${BK / 2}u; let kq = 2u * (w % ${BK / 2}u);
      let v = unpack2x16float(A[${tileWord('row0 + r', 'k0 + kq', lda)}]);
      As[kq * ${T}u + r] = v.x; As[(kq + 1u) * ${T}u + r] = v.y;
    }
    ${stageWeight(s)}
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
      if (r < M && c < ${s.n}u) { C[r * ${s.n}u + c] = acc[i * 4u + j]; }
    }
  }
}`;
}

export const nf4PortableDispatch = (s: Nf4GemmShape): [number, number] => [Math.ceil(s.n / T), Math.ceil(s.m / T)];
