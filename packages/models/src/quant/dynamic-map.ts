/**
 * The signed 8-bit dynamic map that double quantization stores block scales with
 * (bitsandbytes' `create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8)` as the
 * reference script transcribes it) and its quantizer, `dQuantize` (csrc/kernels.cu): a binary
 * search over the sorted map that rounds to the nearer neighbour. Both in f32, as numpy/CUDA do.
 */

const f = Math.fround;

/** numpy.linspace(start, stop, num, dtype=float32): computed in f64, the last point is `stop`, then rounded. */
function linspaceF32(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, k) => f(k === num - 1 ? stop : k * step + start));
}

let cached: Float32Array | undefined;

/** The 256 sorted f32 values of the signed dynamic map (codes 0..255). */
export function dynamicMap(): Float32Array {
  if (cached) return cached;
  const data: number[] = [];
  for (let i = 0; i < 7; i++) {
    const b = linspaceF32(0.1, 1, 2 ** i + 1);
    // (b[:-1] + b[1:]) / 2 in f32; the scale 10^(i-6) is a Python scalar numpy casts to f32.
    const means = b.slice(0, -1).map((x, k) => f(f(x + b[k + 1]!) / 2));
    const s = f(10 ** (i - 6));
    data.push(...means.map((m) => f(s * m)), ...means.map((m) => f(-s * m)));
  }
  data.push(0, 1);
  cached = Float32Array.from(data).sort();
  return cached;
}

/** dQuantize: the code (0..255) of an f32 value `x` in [-1, 1] in the sorted map `code`. */
export function quantizeDynamic(code: Float32Array, x: number): number {
  let pivot = 127;
  let upperPivot = 255;
  let lowerPivot = 0;
  let lower = -1;
  let upper = 1;
  let val = code[pivot]!;
  for (let i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lowerPivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upperPivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot]!;
  }
  if (upperPivot === 255) upper = code[upperPivot]!;
  if (lowerPivot === 0) lower = code[lowerPivot]!;
  if (x > val) return x > f(f(upper + val) * 0.5) ? upperPivot : pivot;
  return x < f(f(lower + val) * 0.5) ? lowerPivot : pivot;
}
