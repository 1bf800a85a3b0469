/**
 * Float32 element kernels that reproduce torch's CPU kernels bit for bit (torch 2.11, AVX512
 * build, GCC). Each JS number here holds a float32 value; `Math.fround` rounds where torch's
 * float32 arithmetic rounds. Two facts measured against torch on the reference machine:
 * - GCC builds ATen with FP contraction on, so `a + b * c` in a kernel is a fused multiply-add
 *   (one rounding), both in the scalar tail loops and in the `Vectorized<float>` paths. `lerp_`
 *   and `addcmul_` are therefore FMAs; `addcdiv_` (a division) is not.
 * - Python-float scalars (lr, betas, eps, ...) are cast to float32 once before the kernel runs.
 */

const f = Math.fround;
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/** The float32 next to `r` (a float32 value) towards +inf (`up`) or -inf. */
function nextF32(r: number, up: boolean): number {
  if (r === 0) return up ? 2 ** -149 : -(2 ** -149);
  bitsF32[0] = r;
  bitsU32[0] = r > 0 === up ? bitsU32[0]! + 1 : bitsU32[0]! - 1;
  return bitsF32[0]!;
}

/**
 * Correctly rounded float32 fused multiply-add `round32(a*b + c)` for float32 inputs. `a*b` is
 * exact in float64; the sum is rounded once to float64 and then to float32, which is only wrong
 * when the float64 sum lands exactly on a float32 midpoint, so that case is fixed up from the
 * exact TwoSum error.
 */
export function fmaF32(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  if (r === s || !Number.isFinite(s)) return r;
  const bv = s - p;
  const t = p - (s - bv) + (c - bv);
  if (t === 0) return r;
  const n = nextF32(r, s > r);
  if (Math.abs(s - r) !== Math.abs(n - s)) return r;
  return t > 0 === n > s ? n : r;
}

/** torch `lerp(self, end, weight)` with a float32 scalar weight (CPU kernel, FMA form). */
export function lerpF32(self: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? fmaF32(weight, f(end - self), self) : fmaF32(f(weight - 1), f(end - self), end);
}

/** torch `addcmul(self, t1, t2, value)`: `self + value * t1 * t2`, contracted to one FMA. */
export function addcmulF32(self: number, t1: number, t2: number, value: number): number {
  return fmaF32(f(value * t1), t2, self);
}

/** torch `addcdiv(self, t1, t2, value)`: `self + value * t1 / t2`. */
export function addcdivF32(self: number, t1: number, t2: number, value: number): number {
  return f(self + f(f(value * t1) / t2));
}

/**
 * Lanes of torch's vectorised float32 reductions: `Vectorized<float>::size()` on the AVX512
 * machines that made the references (it is 8 on AVX2-only CPUs; the result then differs in the
 * last bit on tensors of 8+ elements).
 */
export const TORCH_FLOAT_LANES = 16;

/**
 * torch's CPU `linalg.vector_norm(x, 2)` for a contiguous float32 tensor: squares accumulated
 * per lane (FMA), lanes folded left to right, the remaining `n % lanes` elements accumulated
 * one by one (FMA), then a float32 sqrt. The measured torch result differed in the last bit on
 * 3 of 40 small tensors (its scalar tail ordering is not fully reproduced), i.e. < 1.2e-7
 * relative.
 */
export function l2NormF32(x: ArrayLike<number>): number {
  const n = x.length;
  const lanes = new Float32Array(TORCH_FLOAT_LANES);
  const vecEnd = n - (n % TORCH_FLOAT_LANES);
  for (let d = 0; d < vecEnd; d += TORCH_FLOAT_LANES) {
    for (let j = 0; j < TORCH_FLOAT_LANES; j++) {
      const v = x[d + j]!;
      lanes[j] = fmaF32(v, v, lanes[j]!);
    }
  }
  let acc = lanes[0]!;
  for (let j = 1; j < TORCH_FLOAT_LANES; j++) acc = f(acc + lanes[j]!);
  for (let d = vecEnd; d < n; d++) {
    const v = f(x[d]!);
    acc = fmaF32(v, v, acc);
  }
  return f(Math.sqrt(acc));
}
