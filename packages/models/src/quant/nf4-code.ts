/**
 * One value's NF4 code: bitsandbytes' `dQuantizeNF4` decision tree (csrc/kernels.cu), which
 * rounds a value already scaled to [-1, 1] to the nearest entry of NF4_TABLE. The CUDA kernel
 * compares f32 against f32 literals, so the thresholds here are the f32 roundings of its
 * constants; the argument must be an f32 value (Math.fround) for the result to be bitsandbytes'.
 */

const f = Math.fround;
/** The decision tree's thresholds (f32 values), shared with the GPU quantizer (gpu/nf4-quantize-wgsl.ts). */
export const NF4_THRESHOLDS = {
  p0: f(0.03979014977812767),
  p1: f(0.3893125355243683),
  p2: f(0.6427869200706482),
  p3: f(0.8614784181118011),
  p4: f(0.5016634166240692),
  p5: f(0.2035212516784668),
  p6: f(0.2920137718319893),
  p7: f(0.1202552504837513),
  n0: f(-0.33967943489551544),
  n1: f(-0.13791173323988914),
  n2: f(-0.045525018125772476),
  n3: f(-0.23460740596055984),
  n4: f(-0.6106329262256622),
  n5: f(-0.4599952697753906),
  n6: f(-0.8480964004993439),
} as const;
const T = NF4_THRESHOLDS;

/** The NF4 code (0..15) of `x` (f32, scaled to [-1, 1]); NaN (a zero block's 0·∞) gives 0, as on the GPU. */
export function nf4Code(x: number): number {
  if (x > T.p0) {
    if (x > T.p1) {
      if (x > T.p2) return x > T.p3 ? 15 : 14;
      return x > T.p4 ? 13 : 12;
    }
    if (x > T.p5) return x > T.p6 ? 11 : 10;
    return x > T.p7 ? 9 : 8;
  }
  if (x > T.n0) {
    if (x > T.n1) return x > T.n2 ? 7 : 6;
    return x > T.n3 ? 5 : 4;
  }
  if (x > T.n4) return x > T.n5 ? 3 : 2;
  return x > T.n6 ? 1 : 0;
}
