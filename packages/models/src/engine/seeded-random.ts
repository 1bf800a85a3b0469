/**
 * A small seeded PRNG (mulberry32) for weight initialisation and dropout masks: the same seed
 * gives the same numbers on every backend and machine, and its state can be saved and
 * restored with a checkpoint. Pure math, no tensor library.
 */
export class SeededRandom {
  private s: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`SeededRandom: seed must be a finite number, got ${seed}`);
    this.s = seed >>> 0;
  }

  /** The state to pass to `SeededRandom.fromState` to continue the same sequence. */
  get state(): number {
    return this.s;
  }

  static fromState(state: number): SeededRandom {
    return new SeededRandom(state);
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** `n` floats uniform in [lo, hi). */
  uniform(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** A 31-bit integer, e.g. a seed for hashDropout. */
  int31(): number {
    return Math.floor(this.next() * 2 ** 31);
  }
}

/**
 * torch's default init for an nn.Linear weight [out, in] and the PEFT lora_A init:
 * kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 */
export function kaimingUniformA5(rng: SeededRandom, out: number, fanIn: number): Float32Array {
  const bound = 1 / Math.sqrt(fanIn);
  return rng.uniform(out * fanIn, -bound, bound);
}
