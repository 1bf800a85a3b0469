/**
 * The NF4 quantizer on the GPU (nf4-quantize.ts runs it): bf16 weights, as read from a checkpoint,
 * to the packed codes of the Nf4Matrix contract (quant/nf4-matrix.ts), one output word (8 codes) an
 * invocation. It is bitsandbytes' f32 arithmetic, as quant/quantize-nf4.ts does it on the host, and
 * gives the same codes bit for bit:
 * - bf16 → f32 is exact (a bf16 is an f32's top half);
 * - x · inv is one f32 multiplication, correctly rounded in WGSL, as Math.fround of the host's
 *   (exact) double product; a subnormal product flushed to 0 falls in the same code (7) as 0;
 * - `inv` = fround(1 / absmax) comes from the host (WGSL's division is not correctly rounded); a
 *   block whose inv is 0 (absmax 0) gets code 0 throughout, as the host's 0 · ∞ = NaN does;
 * - the thresholds are the host's f32 values, written as bit patterns (a decimal literal's rounding
 *   to f32 is the compiler's choice), and NaN fails every comparison, as on the host.
 * Bindings: BITS (u32 pairs of bf16, element 2i in the low half, zero-padded to a multiple of 8
 * elements), INV (f32 per block), CODES (the words). Needs the block size to be a multiple of 8, so
 * that one word's 8 codes share a block.
 */
import { NF4_THRESHOLDS } from '../quant/nf4-code.js';

export const NF4_QUANTIZE_WG = 256;
/** Workgroups along x in a dispatch; more go along y. */
export const NF4_QUANTIZE_ROW = 32768;

const bits = (x: number): string => `bitcast<f32>(0x${new Uint32Array(Float32Array.of(x).buffer)[0]!.toString(16)}u)`;

/** The decision tree of quant/nf4-code.ts, on f32 `x`. */
function codeFn(): string {
  const t = Object.fromEntries(Object.entries(NF4_THRESHOLDS).map(([k, v]) => [k, bits(v)]));
  return `fn nf4Code(x: f32) -> u32 {
  if (x > ${t.p0}) {
    if (x > ${t.p1}) {
      if (x > ${t.p2}) { return select(14u, 15u, x > ${t.p3}); }
      return select(12u, 13u, x > ${t.p4});
    }
    if (x > ${t.p5}) { return select(10u, 11u, x > ${t.p6}); }
    return select(8u, 9u, x > ${t.p7});
  }
  if (x > ${t.n0}) {
    if (x > ${t.n1}) { return select(6u, 7u, x > ${t.n2}); }
    return select(4u, 5u, x > ${t.n3});
  }
  if (x > ${t.n4}) { return select(2u, 3u, x > ${t.n5}); }
  return select(0u, 1u, x > ${t.n6});
}`;
}

/** WGSL quantizing `n` elements in blocks of `blocksize` (a multiple of 8); `row`: workgroups along x (tests shrink it). */
export function nf4QuantizeWgsl(n: number, blocksize: number, row = NF4_QUANTIZE_ROW): string {
  if (blocksize % 8 !== 0) throw new RangeError(`GPU NF4 quantizer: block size ${blocksize} is not a multiple of 8`);
  const words = Math.ceil(n / 8);
  return `@group(0) @binding(0) var<storage, read> BITS: array<u32>;
@group(0) @binding(1) var<storage, read> INV: array<f32>;
@group(0) @binding(2) var<storage, read_write> CODES: array<u32>;
${codeFn()}
@compute @workgroup_size(${NF4_QUANTIZE_WG}) fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let w = (wg.y * ${row}u + wg.x) * ${NF4_QUANTIZE_WG}u + lid;
  if (w >= ${words}u) { return; }
  let inv = INV[w * 8u / ${blocksize}u];
  var word = 0u;
  if (inv != 0.0) {
    for (var j = 0u; j < 4u; j++) {
      let pair = BITS[w * 4u + j];
      let e = w * 8u + 2u * j;
      // the first element of a pair in the high nibble of its byte (bitsandbytes' order); padding stays 0
      let hi = select(0u, nf4Code(bitcast<f32>(pair << 16u) * inv), e < ${n}u);
      let lo = select(0u, nf4Code(bitcast<f32>(pair & 0xffff0000u) * inv), e + 1u < ${n}u);
      word |= ((hi << 4u) | lo) << (8u * j);
    }
  }
  CODES[w] = word;
}`;
}

/** The dispatch for `n` elements: one invocation a word. */
export function nf4QuantizeDispatch(n: number, row = NF4_QUANTIZE_ROW): [number, number] {
  const groups = Math.ceil(Math.ceil(n / 8) / NF4_QUANTIZE_WG);
  return [Math.min(groups, row), Math.ceil(groups / row)];
}
